import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { VmEntity } from '../entities/vm.entity.js';
import type { ListFilter, Page, PageRequest } from '../pagination.js';
import { affected, one, rows } from '../sql.js';
import { filterBy, pageBy } from './keyset.js';

/** Where the scheduler put it: optional, so callers that do not place keep their shape. */
type Placed = 'serverGroupId' | 'placedHostId';

export type SettledVm = Pick<VmEntity, 'id' | 'tenantId' | 'xapiUuid' | 'status'>;
/** A row as the reconciler's full view compares it: `follows`, its status follows the power state; `settled`, `listSettledInPool` lists it. */
export type ObservedVm = SettledVm & Pick<VmEntity, 'powerState' | 'hostUuid'> & { follows: boolean; settled: boolean };
export interface Observation {
  powerState: string;
  hostUuid: string | null;
  status: 'running' | 'stopped';
}

// The status follows the power state only for a running or stopped VM that no operation is changing.
const FOLLOWS = `v.status IN ('running', 'stopped')
  AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.resource_id = v.id AND o.status IN ('queued', 'running'))`;
// A VM XAPI should hold and whose status follows it (the reconciler may judge it).
const SETTLED = `v.xapi_uuid IS NOT NULL AND ${FOLLOWS}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BATCH = 500; // rows per statement of a set-based write
const batches = <T>(items: T[]): T[][] => Array.from({ length: Math.ceil(items.length / BATCH) }, (_, i) => items.slice(i * BATCH, (i + 1) * BATCH));

/** VMs; writes take the transaction first, then every method the tenant id. */
@Injectable()
export class VmRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(
    tx: EntityManager,
    vm: Omit<
      VmEntity,
      'createdAt' | 'updatedAt' | 'presence' | 'hotplugVbd' | 'description' | 'tags' | 'liveMaxVcpus' | 'liveMaxMemoryMiB' | 'restart' | Placed
    > &
      // restart: the flavor's restartOnHostFailure unless given (tg_vms_restart_default)
      Partial<Pick<VmEntity, 'description' | 'tags' | 'liveMaxVcpus' | 'liveMaxMemoryMiB' | 'restart' | Placed>>,
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

  /**
   * A VM job's end in one statement, so it needs no transaction: the VM as XAPI showed it, then its operation
   * succeeded (at `step` when given). The VM's update runs first (the operation's reads it), so its events come first.
   */
  async succeedWith(
    q: EntityManager,
    tenantId: string,
    id: string,
    shown: Pick<VmEntity, 'status' | 'powerState' | 'hostUuid' | 'xapiUuid'>,
    operation: { id: string; step?: string },
  ): Promise<void> {
    await affected(
      q,
      `WITH vm AS (UPDATE vms SET status = $3, power_state = $4, host_uuid = $5, xapi_uuid = $6, error_reason = NULL, updated_at = now()
                   WHERE tenant_id = $1 AND id = $2 RETURNING 1)
       UPDATE operations o SET status = 'succeeded', finished_at = now(), step = coalesce($8, o.step) FROM (SELECT count(*) FROM vm) AS done
       WHERE o.tenant_id = $1 AND o.id = $7`,
      [tenantId, id, shown.status, shown.powerState, shown.hostUuid, shown.xapiUuid, operation.id, operation.step ?? null],
    );
  }

  /** Cross-tenant (the evacuation's view of a host): the VM rows among `ids`, whatever their tenant. */
  findAcrossTenants(ids: string[]): Promise<VmEntity[]> {
    if (!ids.length) return Promise.resolve([]);
    return this.ds.manager.createQueryBuilder(VmEntity, 'vm').where('vm.id IN (:...ids)', { ids }).getMany();
  }

  /** Cross-tenant (the reconciler's view of one pool): VMs XAPI should hold and that no operation is changing. */
  async listSettledInPool(poolId: string): Promise<SettledVm[]> {
    return rows<SettledVm>(
      this.ds.manager,
      `SELECT v.id, v.tenant_id AS "tenantId", v.xapi_uuid AS "xapiUuid", v.status FROM vms v WHERE v.pool_id = $1 AND ${SETTLED}`,
      [poolId],
    );
  }

  /**
   * Cross-tenant (the reconciler's full view of one pool, in one statement): the rows `ids` name, whatever their
   * pool or status, and every row of the pool `listSettledInPool` would list. An id that is no UUID names no row.
   */
  async listObservedInPool(poolId: string, ids: string[]): Promise<ObservedVm[]> {
    return rows<ObservedVm>(
      this.ds.manager,
      `SELECT v.id, v.tenant_id AS "tenantId", v.xapi_uuid AS "xapiUuid", v.status, v.power_state AS "powerState",
              v.host_uuid AS "hostUuid", (${FOLLOWS}) AS follows, (v.pool_id = $1 AND ${SETTLED}) AS settled
       FROM vms v WHERE v.id = ANY($2::uuid[]) OR (v.pool_id = $1 AND v.status IN ('running', 'stopped') AND v.xapi_uuid IS NOT NULL)`,
      [poolId, ids.filter((id) => UUID.test(id))],
    );
  }

  /** What the guest agent says of disk hot-plug now (null: no report, e.g. halted); a row already so is untouched. */
  async recordHotplug(q: EntityManager, tenantId: string, id: string, hotplugVbd: boolean | null): Promise<void> {
    await affected(q, `UPDATE vms SET hotplug_vbd = $3 WHERE tenant_id = $1 AND id = $2 AND hotplug_vbd IS DISTINCT FROM $3`, [
      tenantId,
      id,
      hotplugVbd,
    ]);
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
      // The row is locked first, so "before" is the status this statement changes, not one a saga committed meanwhile.
      `WITH b AS (SELECT status AS before FROM vms WHERE tenant_id = $1 AND id = $2 FOR UPDATE)
       UPDATE vms v SET power_state = $3, host_uuid = $4, status = CASE WHEN ${FOLLOWS} THEN $5 ELSE v.status END, updated_at = now()
       FROM b
       WHERE v.tenant_id = $1 AND v.id = $2
       RETURNING v.status <> b.before AS changed`,
      [tenantId, id, seen.powerState, seen.hostUuid, seen.status],
    );
    return row?.changed ?? false;
  }

  /**
   * `recordObserved` for many VMs, one statement per batch of rows, each row locked and compared as there.
   * Returns the ids whose status changed.
   */
  async recordObservedMany(q: EntityManager, seen: (Observation & { tenantId: string; id: string })[]): Promise<Set<string>> {
    const changed = new Set<string>();
    for (const batch of batches(seen)) {
      const found = await rows<{ id: string; changed: boolean }>(
        q,
        // Locked in id order, so two batches (or a batch and a saga) cannot wait on each other in a cycle.
        `WITH s AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[]) AS s(tenant_id, id, power_state, host_uuid, status)),
         b AS (SELECT v.id, v.status AS before FROM vms v JOIN s ON s.tenant_id = v.tenant_id AND s.id = v.id ORDER BY v.id FOR UPDATE OF v)
         UPDATE vms v SET power_state = s.power_state, host_uuid = s.host_uuid, status = CASE WHEN ${FOLLOWS} THEN s.status ELSE v.status END, updated_at = now()
         FROM s JOIN b ON b.id = s.id
         WHERE v.tenant_id = s.tenant_id AND v.id = s.id
         RETURNING v.id, v.status <> b.before AS changed`,
        [
          batch.map((r) => r.tenantId),
          batch.map((r) => r.id),
          batch.map((r) => r.powerState),
          batch.map((r) => r.hostUuid),
          batch.map((r) => r.status),
        ],
      );
      for (const r of found) if (r.changed) changed.add(r.id);
    }
    return changed;
  }

  /** `recordHotplug` for many VMs, one statement per batch; rows already so are untouched. */
  async recordHotplugMany(q: EntityManager, seen: { tenantId: string; id: string; hotplugVbd: boolean | null }[]): Promise<void> {
    for (const batch of batches(seen)) {
      await affected(
        q,
        `UPDATE vms v SET hotplug_vbd = s.hotplug_vbd FROM unnest($1::uuid[], $2::uuid[], $3::boolean[]) AS s(tenant_id, id, hotplug_vbd)
         WHERE v.tenant_id = s.tenant_id AND v.id = s.id AND v.hotplug_vbd IS DISTINCT FROM s.hotplug_vbd`,
        [batch.map((r) => r.tenantId), batch.map((r) => r.id), batch.map((r) => r.hotplugVbd)],
      );
    }
  }
}
