import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { ApiKeyEntity, TenantEntity, affected, filterBy, one, pageBy, type ListFilter, type Page, type PageRequest } from '@xenplane/core';

export type NewApiKey = Pick<ApiKeyEntity, 'id' | 'tenantId' | 'role' | 'name' | 'prefix' | 'secretHash' | 'expiresAt' | 'rotatedFrom'>;

/** A key as authentication sees it: with its tenant's suspension, read in the same statement. */
export type KeyForAuth = ApiKeyEntity & { tenantSuspended: boolean };

// A key's tenant scope: a tenant id, or null for operator keys (tenant_id IS NULL, the bootstrap identity included).
const scope = (alias: string, tenantId: string | null): [string, object] =>
  tenantId === null ? [`${alias}.tenant_id IS NULL`, {}] : [`${alias}.tenant_id = :tenantId`, { tenantId }];

/** API keys; writes take the transaction first, then every tenant-scoped method the tenant id (null: operator keys). */
@Injectable()
export class ApiKeyRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(tx: EntityManager, key: NewApiKey): Promise<ApiKeyEntity> {
    const inserted = await tx.createQueryBuilder().insert().into(ApiKeyEntity).values(key).returning('*').execute();
    return tx.create(ApiKeyEntity, inserted.generatedMaps[0] as ApiKeyEntity);
  }

  /** Cross-tenant (authentication): the key a token's public prefix names (unique index), and whether its tenant is suspended. */
  findForAuth(prefix: string): Promise<KeyForAuth | null> {
    return this.forAuth('k.prefix = :prefix', { prefix });
  }

  /** Cross-tenant (web sessions): the key a session stands for, as `findForAuth` reads it. */
  findForAuthById(id: string): Promise<KeyForAuth | null> {
    return this.forAuth('k.id = :id', { id });
  }

  private async forAuth(where: string, params: object): Promise<KeyForAuth | null> {
    const row = await this.ds.manager
      .createQueryBuilder(ApiKeyEntity, 'k')
      .leftJoin(TenantEntity, 't', 't.id = k.tenant_id')
      .addSelect('t.suspended_at IS NOT NULL', 'suspended')
      .where(where, params)
      .getRawAndEntities();
    const key = row.entities[0];
    return key ? Object.assign(key, { tenantSuspended: Boolean((row.raw[0] as { suspended: boolean | null }).suspended) }) : null;
  }

  /** The bootstrap token's identity (one row, made by migration). */
  async bootstrap(): Promise<KeyForAuth | null> {
    const key = await this.ds.manager.findOne(ApiKeyEntity, { where: { bootstrap: true } });
    return key ? Object.assign(key, { tenantSuspended: false }) : null;
  }

  /** Whether any operator key other than the bootstrap identity was ever created (revoked or expired ones count). */
  async anyOperatorKey(): Promise<boolean> {
    return Boolean(await one(this.ds.manager, `SELECT 1 FROM api_keys WHERE tenant_id IS NULL AND NOT bootstrap LIMIT 1`));
  }

  /** Records a use; the WHERE makes racing replicas write once a minute at most. */
  async touch(id: string): Promise<void> {
    await affected(
      this.ds.manager,
      `UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [id],
    );
  }

  find(tenantId: string | null, id: string): Promise<ApiKeyEntity | null> {
    const [where, params] = scope('k', tenantId);
    return this.ds.manager.createQueryBuilder(ApiKeyEntity, 'k').where(where, params).andWhere('k.id = :id', { id }).getOne();
  }

  /** `filter.status`: active (not revoked) or revoked; without it, both. */
  list(tenantId: string | null, page: PageRequest, filter: ListFilter = {}): Promise<Page<ApiKeyEntity>> {
    const [where, params] = scope('k', tenantId);
    const qb = this.ds.manager.createQueryBuilder(ApiKeyEntity, 'k').where(where, params);
    const statusColumn = `CASE WHEN k.revoked_at IS NULL THEN 'active' ELSE 'revoked' END`;
    return pageBy(filterBy(qb, 'k', filter, { statusColumn }), 'k', page);
  }

  /** Revokes the key; true if this call did it (false: it was revoked already). */
  async revoke(tx: EntityManager, tenantId: string | null, id: string): Promise<boolean> {
    return (
      (await affected(tx, `UPDATE api_keys SET revoked_at = now() WHERE tenant_id IS NOT DISTINCT FROM $1 AND id = $2 AND revoked_at IS NULL`, [
        tenantId,
        id,
      ])) === 1
    );
  }
}
