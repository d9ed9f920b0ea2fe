import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { SnapshotEntity } from '../entities/snapshot.entity.js';
import type { ListFilter, Page, PageRequest } from '../pagination.js';
import { rows } from '../sql.js';
import { filterBy, pageBy } from './keyset.js';

export type NewSnapshot = Pick<
  SnapshotEntity,
  | 'id'
  | 'tenantId'
  | 'poolId'
  | 'vmId'
  | 'volumeId'
  | 'name'
  | 'sizeGiB'
  | 'flavorId'
  | 'vcpus'
  | 'memoryMiB'
  | 'diskGiB'
  | 'liveMaxVcpus'
  | 'liveMaxMemoryMiB'
>;

/** Snapshots of VMs and of volumes; writes take the transaction first, then every method the tenant id. */
@Injectable()
export class SnapshotRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(tx: EntityManager, s: NewSnapshot): Promise<SnapshotEntity> {
    const row = { ...s, status: 'pending' as const, xapiUuid: null, errorReason: null };
    const inserted = await tx.createQueryBuilder().insert().into(SnapshotEntity).values(row).returning('*').execute();
    return tx.create(SnapshotEntity, inserted.generatedMaps[0] as SnapshotEntity);
  }

  find(tenantId: string, id: string, q: EntityManager = this.ds.manager): Promise<SnapshotEntity | null> {
    return q.findOne(SnapshotEntity, { where: { tenantId, id } });
  }

  /** Locks the row for the rest of `tx`, so a state check and the change that follows cannot interleave. */
  findForUpdate(tx: EntityManager, tenantId: string, id: string): Promise<SnapshotEntity | null> {
    return tx.findOne(SnapshotEntity, { where: { tenantId, id }, lock: { mode: 'pessimistic_write' } });
  }

  list(tenantId: string, page: PageRequest, filter: ListFilter = {}, of: { vmId?: string; volumeId?: string } = {}): Promise<Page<SnapshotEntity>> {
    const qb = this.ds.manager.createQueryBuilder(SnapshotEntity, 's').where('s.tenant_id = :tenantId', { tenantId });
    if (of.vmId) qb.andWhere('s.vm_id = :vmId', { vmId: of.vmId });
    if (of.volumeId) qb.andWhere('s.volume_id = :volumeId', { volumeId: of.volumeId });
    return pageBy(filterBy(qb, 's', filter, { hidden: ['deleted'] }), 's', page);
  }

  /** How many snapshots of the VM or volume are not deleted (what a per-VM cap counts). */
  async countLive(tx: EntityManager, tenantId: string, of: { vmId?: string; volumeId?: string }): Promise<number> {
    const [r] = await rows<{ n: number }>(
      tx,
      `SELECT count(*)::int AS n FROM snapshots WHERE tenant_id = $1 AND (vm_id = $2 OR volume_id = $3) AND status <> 'deleted'`,
      [tenantId, of.vmId ?? null, of.volumeId ?? null],
    );
    return r.n;
  }

  /** The snapshots of a VM or volume that still hold quota (what its delete releases with it). */
  async listHeld(tenantId: string, of: { vmId?: string; volumeId?: string }, q: EntityManager = this.ds.manager): Promise<SnapshotEntity[]> {
    return q
      .createQueryBuilder(SnapshotEntity, 's')
      .where("s.tenant_id = :tenantId AND (s.vm_id = :vmId OR s.volume_id = :volumeId) AND s.presence <> 'released'", {
        tenantId,
        vmId: of.vmId ?? null,
        volumeId: of.volumeId ?? null,
      })
      .getMany();
  }

  /** Cross-tenant (the reconciler's): every snapshot on a pool that is not released, by its XAPI uuid. */
  async listLiveInPool(poolId: string): Promise<Pick<SnapshotEntity, 'id' | 'tenantId' | 'xapiUuid' | 'status'>[]> {
    return rows(
      this.ds.manager,
      `SELECT id, tenant_id AS "tenantId", xapi_uuid AS "xapiUuid", status FROM snapshots WHERE pool_id = $1 AND presence <> 'released'`,
      [poolId],
    );
  }

  async update(tx: EntityManager, tenantId: string, id: string, patch: Partial<Omit<SnapshotEntity, 'presence'>>): Promise<void> {
    await tx.update(SnapshotEntity, { tenantId, id }, { ...patch, updatedAt: () => 'now()' });
  }
}
