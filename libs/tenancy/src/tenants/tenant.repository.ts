import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { TenantEntity, pageBy, type Page, type PageRequest } from '@xenplane/core';

@Injectable()
export class TenantRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(id: string, name: string, tx: EntityManager = this.ds.manager): Promise<TenantEntity> {
    const rows = await tx.createQueryBuilder().insert().into(TenantEntity)
      .values({ id, name, status: 'active' }).returning('*').execute();
    return tx.create(TenantEntity, rows.generatedMaps[0] as TenantEntity);
  }

  /** Active tenants only: a deleted tenant is gone for every purpose. */
  find(id: string): Promise<TenantEntity | null> {
    return this.ds.manager.findOne(TenantEntity, { where: { id, status: 'active' } });
  }

  /** Share-locks the tenant row in `tx` if the tenant is active: it cannot be deleted until `tx` ends. */
  async lockActive(tx: EntityManager, id: string): Promise<boolean> {
    const rows: unknown[] = await tx.query(`SELECT 1 FROM tenants WHERE id = $1 AND status = 'active' FOR SHARE`, [id]);
    return rows.length > 0;
  }

  list(page: PageRequest): Promise<Page<TenantEntity>> {
    const qb = this.ds.manager.createQueryBuilder(TenantEntity, 't').where("t.status = 'active'");
    return pageBy(qb, 't', page);
  }

  async rename(id: string, name: string): Promise<void> {
    await this.ds.manager.update(TenantEntity, { id, status: 'active' }, { name, updatedAt: () => 'now()' } as never);
  }

  /** Soft-deletes the tenant and revokes its keys in one transaction, if it owns no live VM. */
  async deleteIfEmpty(id: string): Promise<'deleted' | 'not_empty'> {
    return this.ds.transaction(async (tx) => {
      await tx.query(`SELECT id FROM tenants WHERE id = $1 FOR UPDATE`, [id]);
      const [owned] = await tx.query(`SELECT (SELECT count(*) FROM vms WHERE tenant_id = $1 AND status <> 'deleted')
         + (SELECT count(*) FROM networks WHERE tenant_id = $1 AND status <> 'deleted') AS n`, [id]);
      if (Number((owned as { n: number | string }).n) > 0) return 'not_empty';
      await tx.query(`UPDATE tenants SET status = 'deleted', deleted_at = now(), updated_at = now() WHERE id = $1`, [id]);
      await tx.query(`UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1 AND revoked_at IS NULL`, [id]);
      return 'deleted';
    });
  }
}
