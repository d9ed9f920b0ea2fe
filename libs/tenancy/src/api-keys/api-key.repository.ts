import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { ApiKeyEntity, affected, filterBy, pageBy, type ListFilter, type Page, type PageRequest } from '@xenplane/core';

/** API keys; writes take the transaction first, then every tenant-scoped method the tenant id. */
@Injectable()
export class ApiKeyRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(tx: EntityManager, key: Omit<ApiKeyEntity, 'createdAt' | 'revokedAt'>): Promise<ApiKeyEntity> {
    const inserted = await tx.createQueryBuilder().insert().into(ApiKeyEntity).values(key).returning('*').execute();
    return tx.create(ApiKeyEntity, inserted.generatedMaps[0] as ApiKeyEntity);
  }

  /** Cross-tenant (authentication): the key a token's public prefix names (unique index). */
  findByPrefix(prefix: string): Promise<ApiKeyEntity | null> {
    return this.ds.manager.findOne(ApiKeyEntity, { where: { prefix } });
  }

  find(tenantId: string, id: string): Promise<ApiKeyEntity | null> {
    return this.ds.manager.findOne(ApiKeyEntity, { where: { tenantId, id } });
  }

  /** `filter.status`: active (not revoked) or revoked; without it, both. */
  list(tenantId: string, page: PageRequest, filter: ListFilter = {}): Promise<Page<ApiKeyEntity>> {
    const qb = this.ds.manager.createQueryBuilder(ApiKeyEntity, 'k').where('k.tenant_id = :tenantId', { tenantId });
    const statusColumn = `CASE WHEN k.revoked_at IS NULL THEN 'active' ELSE 'revoked' END`;
    return pageBy(filterBy(qb, 'k', filter, { statusColumn }), 'k', page);
  }

  /** Revokes the key; true if this call did it (false: it was revoked already). */
  async revoke(tx: EntityManager, tenantId: string, id: string): Promise<boolean> {
    return (
      (await affected(tx, `UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL`, [tenantId, id])) === 1
    );
  }
}
