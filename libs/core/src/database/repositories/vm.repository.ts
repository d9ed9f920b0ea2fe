import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { VmEntity } from '../entities/vm.entity.js';
import type { ListFilter, Page, PageRequest } from '../pagination.js';
import { one, rows } from '../sql.js';
import { filterBy, pageBy } from './keyset.js';

export type SettledVm = Pick<VmEntity, 'id' | 'tenantId' | 'xapiUuid' | 'status'>;

/** VMs; writes take the transaction first, then every method the tenant id. */
@Injectable()
export class VmRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(
    tx: EntityManager,
    vm: Omit<VmEntity, 'createdAt' | 'updatedAt' | 'presence' | 'description' | 'tags'> & Partial<Pick<VmEntity, 'description' | 'tags'>>,
  ): Promise<VmEntity> {
    const inserted = await tx.createQueryBuilder().insert().into(VmEntity).values(vm).returning('*').execute();
    return tx.create(VmEntity, inserted.generatedMaps[0] as VmEntity);
  }

  find(tenantId: string, id: string, q: EntityManager = this.ds.manager): Promise<VmEntity | null> {
    return q.findOne(VmEntity, { where: { tenantId, id } });
  }

  /** Locks the row for the rest of `tx`, so a state check and the change that follows cannot interleave. */
  findForUpdate(tx: EntityManager, tenantId: string, id: string): Promise<VmEntity | null> {
    return tx.findOne(VmEntity, { where: { tenantId, id }, lock: { mode: 'pessimistic_write' } });
  }

  /** One tenant's VMs, deleted ones only when `filter.status` asks for them. */
  list(tenantId: string, page: PageRequest, filter: ListFilter = {}): Promise<Page<VmEntity>> {
    const qb = this.ds.manager.createQueryBuilder(VmEntity, 'vm').where('vm.tenant_id = :tenantId', { tenantId });
    return pageBy(filterBy(qb, 'vm', filter, { hidden: ['deleted'] }), 'vm', page);
  }

  /** Cross-tenant (the operators' view): every tenant's VMs, filtered as `list`. */
  listAllTenants(page: PageRequest, filter: ListFilter = {}): Promise<Page<VmEntity>> {
    return pageBy(filterBy(this.ds.manager.createQueryBuilder(VmEntity, 'vm'), 'vm', filter, { hidden: ['deleted'] }), 'vm', page);
  }

  async update(tx: EntityManager, tenantId: string, id: string, patch: Partial<Omit<VmEntity, 'presence'>>): Promise<void> {
    await tx.update(VmEntity, { tenantId, id }, { ...patch, updatedAt: () => 'now()' });
  }

  /** Cross-tenant (the reconciler's view of one pool): VMs XAPI should hold and that no operation is changing. */
  async listSettledInPool(poolId: string): Promise<SettledVm[]> {
    return rows<SettledVm>(
      this.ds.manager,
      `SELECT v.id, v.tenant_id AS "tenantId", v.xapi_uuid AS "xapiUuid", v.status FROM vms v
       WHERE v.pool_id = $1 AND v.status IN ('running', 'stopped') AND v.xapi_uuid IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.resource_id = v.id AND o.status IN ('queued', 'running'))`,
      [poolId],
    );
  }

  /**
   * Records what XAPI shows; the status follows the power state only for a settled VM (running or stopped, no
   * operation in flight), so the reconciler never fights a saga. Returns whether the status changed.
   */
  async recordObserved(
    tx: EntityManager,
    tenantId: string,
    id: string,
    seen: { powerState: string; hostUuid: string | null; status: 'running' | 'stopped' },
  ): Promise<boolean> {
    const row = await one<{ changed: boolean }>(
      tx,
      `UPDATE vms v SET power_state = $3, host_uuid = $4,
         status = CASE WHEN v.status IN ('running', 'stopped') AND NOT EXISTS
           (SELECT 1 FROM operations o WHERE o.resource_id = v.id AND o.status IN ('queued', 'running')) THEN $5 ELSE v.status END,
         updated_at = now()
       FROM (SELECT status AS before FROM vms WHERE tenant_id = $1 AND id = $2) b
       WHERE v.tenant_id = $1 AND v.id = $2
       RETURNING v.status <> b.before AS changed`,
      [tenantId, id, seen.powerState, seen.hostUuid, seen.status],
    );
    return row?.changed ?? false;
  }
}
