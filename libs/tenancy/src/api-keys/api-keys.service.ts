import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DomainError, NotFoundError, type ApiKeyEntity, type Page, type PageRequest } from '@xenplane/core';
import type { Principal } from '../principal.js';
import { TenantRepository } from '../tenants/tenant.repository.js';
import { ApiKeyRepository } from './api-key.repository.js';
import { constantTimeEquals, generateToken, parseToken, secretMatches } from './api-key-token.js';

export const BOOTSTRAP_KEY_ID = '00000000-0000-0000-0000-000000000000';

@Injectable()
export class ApiKeysService {
  private bootstrapToken: string | undefined;

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly tenants: TenantRepository,
  ) {}

  /** Set once at boot from BOOTSTRAP_OPERATOR_TOKEN; it works on a fresh database with no key rows. */
  configureBootstrapToken(token: string | undefined): void {
    this.bootstrapToken = token;
  }

  /** Resolves a bearer token to its principal, or null for unknown, malformed or revoked tokens. */
  async authenticate(token: string): Promise<Principal | null> {
    if (this.bootstrapToken && constantTimeEquals(token, this.bootstrapToken)) {
      return { keyId: BOOTSTRAP_KEY_ID, role: 'operator', tenantId: null };
    }
    const parsed = parseToken(token);
    if (!parsed) return null;
    const key = await this.keys.findByPrefix(parsed.prefix);
    if (!key || !secretMatches(parsed.secret, key.secretHash) || key.revokedAt) return null;
    return { keyId: key.id, role: key.role, tenantId: key.tenantId };
  }

  async create(caller: Principal, tenantId: string, name: string, role: 'admin' | 'member'): Promise<{ key: ApiKeyEntity; token: string }> {
    await this.assertCanManage(caller, tenantId);
    const generated = generateToken();
    const key = await this.keys.insertForActiveTenant({ id: randomUUID(), tenantId, role, name, prefix: generated.prefix, secretHash: generated.secretHash });
    if (!key) throw new NotFoundError('tenant', tenantId); // deleted since the check above
    return { key, token: generated.token };
  }

  async list(caller: Principal, tenantId: string, page: PageRequest): Promise<Page<ApiKeyEntity>> {
    await this.assertCanManage(caller, tenantId);
    return this.keys.list(tenantId, page);
  }

  async get(caller: Principal, tenantId: string, keyId: string): Promise<ApiKeyEntity> {
    await this.assertCanManage(caller, tenantId);
    const key = await this.keys.find(tenantId, keyId);
    if (!key) throw new NotFoundError('api key', keyId);
    return key;
  }

  async revoke(caller: Principal, tenantId: string, keyId: string): Promise<void> {
    await this.get(caller, tenantId, keyId);
    await this.keys.revoke(tenantId, keyId);
  }

  /** Operators manage every tenant's keys; a tenant admin only its own; members none. */
  private async assertCanManage(caller: Principal, tenantId: string): Promise<void> {
    if (caller.role !== 'operator') {
      if (caller.tenantId !== tenantId) throw new NotFoundError('tenant', tenantId);
      if (caller.role !== 'admin') throw new DomainError('forbidden', 'only tenant admins manage API keys');
    }
    if (!(await this.tenants.find(tenantId))) throw new NotFoundError('tenant', tenantId);
  }
}
