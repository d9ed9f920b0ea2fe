import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DomainError, NotFoundError, type ApiKeyEntity, type ListFilter, type Page, type PageRequest } from '@xenplane/core';
import type { Principal } from '../principal.js';
import { QuotaService } from '../quota/quota.service.js';
import { TenantRepository } from '../tenants/tenant.repository.js';
import { ApiKeyRepository } from './api-key.repository.js';
import { assertRotatable, expiryOf, issueKey, type KeyRequest } from './key-issue.js';

/** A tenant's keys (operators: any tenant's; tenant admins: their own). Authentication is ApiKeyAuthService's. */
@Injectable()
export class ApiKeysService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly keys: ApiKeyRepository,
    private readonly tenants: TenantRepository,
    private readonly quota: QuotaService,
  ) {}

  /** A new key, charged to the tenant's `apiKeys` quota in the transaction that inserts it, never in a deleted tenant. */
  async create(
    caller: Principal,
    tenantId: string,
    req: KeyRequest & { role: 'admin' | 'member' },
    rotatedFrom: string | null = null,
  ): Promise<{ key: ApiKeyEntity; token: string }> {
    await this.assertCanManage(caller, tenantId);
    const expiresAt = expiryOf(req.expiresAt);
    const id = randomUUID();
    return this.ds.transaction(async (tx) => {
      // The tenant row, then its quota row (every create's lock order): a racing tenant delete waits, or is seen here.
      if (!(await this.tenants.lockActive(tx, tenantId))) throw new NotFoundError('tenant', tenantId);
      await this.quota.charge(tx, tenantId, { apiKeys: 1 }, { resourceId: id, operationId: id });
      return issueKey(tx, this.keys, { id, tenantId, role: req.role, name: req.name, expiresAt, rotatedFrom });
    });
  }

  /** A new key with the old one's name and role; the old one keeps working until it is revoked. */
  async rotate(caller: Principal, tenantId: string, keyId: string, expiresAt?: string | null): Promise<{ key: ApiKeyEntity; token: string }> {
    const old = await this.get(caller, tenantId, keyId);
    assertRotatable(old);
    return this.create(caller, tenantId, { name: old.name, role: old.role as 'admin' | 'member', expiresAt }, old.id);
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
