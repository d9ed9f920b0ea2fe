import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { ApiKeyEntity, pageBy, type Page, type PageRequest } from '@xenplane/core';

@Injectable()
export class ApiKeyRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(key: Omit<ApiKeyEntity, 'createdAt' | 'revokedAt'>, tx: EntityManager = this.ds.manager): Promise<ApiKeyEntity> {
    const rows = await tx.createQueryBuilder().insert().into(ApiKeyEntity).values(key).returning('*').execute();
    return tx.create(ApiKeyEntity, rows.generatedMaps[0] as ApiKeyEntity);
  }

  /** Authentication lookup by the token's public prefix (unique index). */
  findByPrefix(prefix: string): Promise<ApiKeyEntity | null> {
    return this.ds.manager.findOne(ApiKeyEntity, { where: { prefix } });
  }

  find(tenantId: string, id: string): Promise<ApiKeyEntity | null> {
    return this.ds.manager.findOne(ApiKeyEntity, { where: { tenantId, id } });
  }

  list(tenantId: string, page: PageRequest): Promise<Page<ApiKeyEntity>> {
    const qb = this.ds.manager.createQueryBuilder(ApiKeyEntity, 'k').where('k.tenant_id = :tenantId', { tenantId });
    return pageBy(qb, 'k', page);
  }

  /** Revokes the key; true if this call did it (false: it was revoked already). */
  async revoke(tenantId: string, id: string, tx: EntityManager = this.ds.manager): Promise<boolean> {
    const [rows] = (await tx.query(`UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING id`, [tenantId, id])) as [unknown[], number];
    return rows.length === 1;
  }
}
