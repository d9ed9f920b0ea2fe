import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ApiKeyEntity, pageBy, type Page, type PageRequest } from '@xenplane/core';

@Injectable()
export class ApiKeyRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(key: Omit<ApiKeyEntity, 'createdAt' | 'revokedAt'>): Promise<ApiKeyEntity> {
    const rows = await this.ds.createQueryBuilder().insert().into(ApiKeyEntity).values(key).returning('*').execute();
    return this.ds.manager.create(ApiKeyEntity, rows.generatedMaps[0] as ApiKeyEntity);
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

  async revoke(tenantId: string, id: string): Promise<void> {
    await this.ds.query(`UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
  }
}
