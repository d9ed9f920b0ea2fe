import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { TenantEntity, affected, filterBy, one, pageBy, rows, type ListFilter, type Page, type PageRequest } from '@xenplane/core';

/** Tenants; writes take the transaction first. */
@Injectable()
export class TenantRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(tx: EntityManager, id: string, name: string): Promise<TenantEntity> {
    const inserted = await tx.createQueryBuilder().insert().into(TenantEntity).values({ id, name, status: 'active' }).returning('*').execute();
    return tx.create(TenantEntity, inserted.generatedMaps[0] as TenantEntity);
  }

  /** Active tenants only: a deleted tenant is gone for every purpose. */
  find(id: string): Promise<TenantEntity | null> {
    return this.ds.manager.findOne(TenantEntity, { where: { id, status: 'active' } });
  }

  /** Share-locks the tenant row in `tx` if the tenant is active: it cannot be deleted until `tx` ends. */
  async lockActive(tx: EntityManager, id: string): Promise<boolean> {
    return (await rows(tx, `SELECT 1 FROM tenants WHERE id = $1 AND status = 'active' FOR SHARE`, [id])).length > 0;
  }

  /** Cross-tenant: the operators' list; deleted tenants only when `filter.status` asks for them. */
  list(page: PageRequest, filter: ListFilter = {}): Promise<Page<TenantEntity>> {
    return pageBy(filterBy(this.ds.manager.createQueryBuilder(TenantEntity, 't'), 't', filter, { hidden: ['deleted'] }), 't', page);
  }

  async rename(tx: EntityManager, id: string, name: string): Promise<void> {
    await tx.update(TenantEntity, { id, status: 'active' }, { name, updatedAt: () => 'now()' });
  }

  /** Suspends (keeping the first suspension's time) or reinstates an active tenant. */
  async setSuspended(tx: EntityManager, id: string, suspended: boolean): Promise<void> {
    await affected(
      tx,
      `UPDATE tenants SET suspended_at = CASE WHEN $2 THEN COALESCE(suspended_at, now()) END, updated_at = now() WHERE id = $1 AND status = 'active'`,
      [id, suspended],
    );
  }

  /**
   * Soft-deletes the tenant and revokes its keys in `tx`, if it owns no live VM, network, volume, snapshot (a volume's outlives the volume)
   * or image with a disk (made, being made or removed, or unconfirmed). The row lock waits for creates and upload acceptances in flight
   * (they share-lock the row: `lockActive`), and the count that follows sees them. Returns the ids of its images without a disk, for the
   * caller to release with the tenant.
   */
  async deleteIfEmpty(tx: EntityManager, id: string): Promise<{ diskless: string[] } | TenantHoldings> {
    await rows(tx, `SELECT id FROM tenants WHERE id = $1 FOR UPDATE`, [id]);
    const owned = (await one<TenantHoldings>(
      tx,
      `SELECT (SELECT count(*) FROM vms WHERE tenant_id = $1 AND status <> 'deleted')::int AS vms,
              (SELECT count(*) FROM networks WHERE tenant_id = $1 AND status <> 'deleted')::int AS networks,
              (SELECT count(*) FROM volumes WHERE tenant_id = $1 AND status <> 'deleted')::int AS volumes,
              (SELECT count(*) FROM snapshots WHERE tenant_id = $1 AND presence <> 'released')::int AS snapshots,
              (SELECT count(*) FROM images WHERE tenant_id = $1 AND status <> 'deleted'
                 AND (presence IN ('present', 'unconfirmed') OR status IN ('saving', 'deleting')))::int AS images`,
      [id],
    ))!;
    if (owned.vms + owned.networks + owned.volumes + owned.snapshots + owned.images > 0) return owned;
    const diskless = await rows<{ id: string }>(tx, `SELECT id FROM images WHERE tenant_id = $1 AND status <> 'deleted' FOR UPDATE`, [id]);
    await affected(tx, `UPDATE tenants SET status = 'deleted', deleted_at = now(), updated_at = now() WHERE id = $1`, [id]);
    await affected(tx, `UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1 AND revoked_at IS NULL`, [id]);
    return { diskless: diskless.map((r) => r.id) };
  }
}

/** What keeps a tenant from being deleted: its live resources, counted. */
export interface TenantHoldings {
  vms: number;
  networks: number;
  volumes: number;
  snapshots: number;
  images: number;
}
