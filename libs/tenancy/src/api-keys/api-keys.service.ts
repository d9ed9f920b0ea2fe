import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DomainError, NotFoundError, type ApiKeyEntity, type ListFilter, type Page, type PageRequest } from '@xenplane/core';
import type { Principal } from '../principal.js';
import { QuotaService } from '../quota/quota.service.js';
import { TenantRepository } from '../tenants/tenant.repository.js';
import { ApiKeyRepository } from './api-key.repository.js';
import { constantTimeEquals, generateToken, parseToken, secretMatches } from './api-key-token.js';

export const BOOTSTRAP_KEY_ID = '00000000-0000-0000-0000-000000000000';

@Injectable()
export class ApiKeysService {
  private bootstrapToken: string | undefined;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly keys: ApiKeyRepository,
    private readonly tenants: TenantRepository,
    private readonly quota: QuotaService,
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

  /** A new key, charged to the tenant's `apiKeys` quota in the transaction that inserts it, never in a deleted tenant. */
  async create(caller: Principal, tenantId: string, name: string, role: 'admin' | 'member'): Promise<{ key: ApiKeyEntity; token: string }> {
    await this.assertCanManage(caller, tenantId);
    const generated = generateToken();
    const id = randomUUID();
    const key = await this.ds.transaction(async (tx) => {
      // The tenant row, then its quota row (every create's lock order): a racing tenant delete waits, or is seen here.
      if (!(await this.tenants.lockActive(tx, tenantId))) throw new NotFoundError('tenant', tenantId);
      await this.quota.charge(tx, tenantId, { apiKeys: 1 }, { resourceId: id, operationId: id });
      return this.keys.insert(tx, { id, tenantId, role, name, prefix: generated.prefix, secretHash: generated.secretHash });
    });
    return { key, token: generated.token };
  }

  async list(caller: Principal, tenantId: string, page: PageRequest, filter: ListFilter = {}): Promise<Page<ApiKeyEntity>> {
    await this.assertCanManage(caller, tenantId);
    return this.keys.list(tenantId, page, filter);
  }

  async get(caller: Principal, tenantId: string, keyId: string): Promise<ApiKeyEntity> {
    await this.assertCanManage(caller, tenantId);
    const key = await this.keys.find(tenantId, keyId);
    if (!key) throw new NotFoundError('api key', keyId);
    return key;
  }

  /** Revokes the key (again: a no-op) and gives its `apiKeys` quota back, once. */
  async revoke(caller: Principal, tenantId: string, keyId: string): Promise<void> {
    await this.get(caller, tenantId, keyId);
    await this.ds.transaction(async (tx) => {
      if (await this.keys.revoke(tx, tenantId, keyId))
        await this.quota.release(tx, tenantId, { apiKeys: 1 }, { resourceId: keyId, operationId: keyId });
    });
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
