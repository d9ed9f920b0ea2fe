import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { VmEntity } from '../entities/vm.entity.js';
import type { Page, PageRequest } from '../pagination.js';
import { pageBy } from './keyset.js';

/** VMs; every method is scoped by tenant id first. */
@Injectable()
export class VmRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(tx: EntityManager, vm: Omit<VmEntity, 'createdAt' | 'updatedAt' | 'presence'>): Promise<VmEntity> {
    const rows = await tx.createQueryBuilder().insert().into(VmEntity).values(vm).returning('*').execute();
    return tx.create(VmEntity, rows.generatedMaps[0] as VmEntity);
  }

  find(tenantId: string, id: string, tx: EntityManager = this.ds.manager): Promise<VmEntity | null> {
    return tx.findOne(VmEntity, { where: { tenantId, id } });
  }

  /** Locks the row for the rest of `tx`, so a state check and the change that follows cannot interleave. */
  findForUpdate(tenantId: string, id: string, tx: EntityManager): Promise<VmEntity | null> {
    return tx.findOne(VmEntity, { where: { tenantId, id }, lock: { mode: 'pessimistic_write' } });
  }

  list(tenantId: string, page: PageRequest): Promise<Page<VmEntity>> {
    const qb = this.ds.manager.createQueryBuilder(VmEntity, 'vm').where('vm.tenant_id = :tenantId', { tenantId });
    return pageBy(qb, 'vm', page);
  }

  async update(tenantId: string, id: string, patch: Partial<Omit<VmEntity, 'presence'>>, tx: EntityManager = this.ds.manager): Promise<void> {
    await tx.update(VmEntity, { tenantId, id }, { ...patch, updatedAt: () => 'now()' } as never);
  }


  /** VMs of one pool that XAPI should hold and that no operation is changing: what the reconciler checks. */
  async listSettledInPool(poolId: string): Promise<Pick<VmEntity, 'id' | 'tenantId' | 'xapiUuid' | 'status'>[]> {
    const rows: { id: string; tenant_id: string; xapi_uuid: string; status: VmEntity['status'] }[] = await this.ds.query(
      `SELECT v.id, v.tenant_id, v.xapi_uuid, v.status FROM vms v
       WHERE v.pool_id = $1 AND v.status IN ('running', 'stopped') AND v.xapi_uuid IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.resource_id = v.id AND o.status IN ('queued', 'running'))`,
      [poolId],
    );
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, xapiUuid: r.xapi_uuid, status: r.status }));
  }

  /**
   * Records what XAPI shows; the status follows the power state only for a settled VM (running or stopped, no
   * operation in flight), so the reconciler never fights a saga. Returns whether the status changed.
   */
  async recordObserved(tenantId: string, id: string, seen: { powerState: string; hostUuid: string | null; status: 'running' | 'stopped' }): Promise<boolean> {
    // TypeORM answers an UPDATE with [rows, rowCount], not the rows.
    const [rows] = await this.ds.query<[{ changed: boolean }[], number]>(
      `UPDATE vms v SET power_state = $3, host_uuid = $4,
         status = CASE WHEN v.status IN ('running', 'stopped') AND NOT EXISTS
           (SELECT 1 FROM operations o WHERE o.resource_id = v.id AND o.status IN ('queued', 'running')) THEN $5 ELSE v.status END,
         updated_at = now()
       FROM (SELECT status AS before FROM vms WHERE tenant_id = $1 AND id = $2) b
       WHERE v.tenant_id = $1 AND v.id = $2
       RETURNING v.status <> b.before AS changed`,
      [tenantId, id, seen.powerState, seen.hostUuid, seen.status],
    );
    return rows[0]?.changed ?? false;
  }

  /** Marks a settled VM that XAPI no longer has as vanished; false if it was not settled (so nothing else may follow). */
  async markVanished(tx: EntityManager, tenantId: string, id: string): Promise<VmEntity | null> {
    const rows: unknown[] = await tx.query(
      `UPDATE vms v SET status = 'error', error_reason = 'vanished', power_state = NULL, host_uuid = NULL, updated_at = now()
       WHERE v.tenant_id = $1 AND v.id = $2 AND v.status IN ('running', 'stopped')
         AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.resource_id = v.id AND o.status IN ('queued', 'running'))
       RETURNING v.id`,
      [tenantId, id],
    );
    return rows.length ? this.find(tenantId, id, tx) : null;
  }
}
