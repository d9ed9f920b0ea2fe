import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ApiKeyEntity, pageBy, type Page, type PageRequest } from '@xenplane/core';

@Injectable()
export class ApiKeyRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Inserts a tenant's key only while the tenant is active, in one statement: the share lock on the tenant row makes a
   * concurrent tenant delete wait for it (and then revoke it), or makes this insert see the delete and add nothing.
   */
  async insertForActiveTenant(key: Omit<ApiKeyEntity, 'createdAt' | 'revokedAt'> & { tenantId: string }): Promise<ApiKeyEntity | null> {
    const rows: Record<string, unknown>[] = await this.ds.query(
      `INSERT INTO api_keys (id, tenant_id, role, name, prefix, secret_hash)
       SELECT $1, t.id, $3, $4, $5, $6 FROM tenants t WHERE t.id = $2 AND t.status = 'active' FOR SHARE
       RETURNING id, tenant_id AS "tenantId", role, name, prefix, secret_hash AS "secretHash", created_at AS "createdAt", revoked_at AS "revokedAt"`,
      [key.id, key.tenantId, key.role, key.name, key.prefix, key.secretHash],
    );
    return rows[0] ? this.ds.manager.create(ApiKeyEntity, rows[0] as Partial<ApiKeyEntity>) : null;
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
