import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { HostEntity } from '../entities/host.entity.js';
import type { ListFilter, Page, PageRequest } from '../pagination.js';
import { affected, rows } from '../sql.js';
import { filterBy, pageBy } from './keyset.js';

export type ObservedHost = Pick<
  HostEntity,
  'xapiUuid' | 'name' | 'address' | 'enabled' | 'live' | 'memoryTotalBytes' | 'memoryFreeBytes' | 'cpuCount'
> &
  Partial<Pick<HostEntity, 'ovsdbTarget' | 'openflowTarget' | 'bridge' | 'tunnelIp'>>;

@Injectable()
export class HostRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  list(page: PageRequest, poolId?: string, filter: ListFilter = {}): Promise<Page<HostEntity>> {
    const qb = this.ds.manager.createQueryBuilder(HostEntity, 'h');
    if (poolId) qb.where('h.pool_id = :poolId', { poolId });
    return pageBy(filterBy(qb, 'h', filter, { statusColumn: null }), 'h', page);
  }

  find(id: string, q: EntityManager = this.ds.manager): Promise<HostEntity | null> {
    return q.findOne(HostEntity, { where: { id } });
  }

  /** The operator's switch: `draining` from none (a host already draining or empty keeps its state), or back to none. */
  async setMaintenance(tx: EntityManager, id: string, enabled: boolean): Promise<HostEntity | null> {
    await affected(
      tx,
      enabled
        ? `UPDATE hosts SET maintenance = 'draining', maintenance_since = now() WHERE id = $1 AND maintenance = 'none'`
        : `UPDATE hosts SET maintenance = 'none', maintenance_blockers = '[]', maintenance_since = NULL WHERE id = $1`,
      [id],
    );
    return tx.findOne(HostEntity, { where: { id } });
  }

  /** Hosts the evacuation pass has work on: in a maintenance, or left disabled by one that ended. */
  listMaintenanceWork(): Promise<HostEntity[]> {
    return this.ds.manager
      .createQueryBuilder(HostEntity, 'h')
      .where(`h.maintenance <> 'none' OR h.maintenance_disabled`)
      .orderBy('h.created_at')
      .getMany();
  }

  /** What the evacuation pass found: still draining (with the VMs that cannot leave) or empty; only while not cancelled. */
  async recordDrain(
    tx: EntityManager,
    id: string,
    state: { maintenance: 'draining' | 'maintenance'; blockers: HostEntity['maintenanceBlockers'] },
  ): Promise<void> {
    await affected(tx, `UPDATE hosts SET maintenance = $2, maintenance_blockers = $3::jsonb WHERE id = $1 AND maintenance <> 'none'`, [
      id,
      state.maintenance,
      JSON.stringify(state.blockers),
    ]);
  }

  async markMaintenanceDisabled(tx: EntityManager, id: string, disabled: boolean): Promise<void> {
    await affected(tx, `UPDATE hosts SET maintenance_disabled = $2 WHERE id = $1`, [id, disabled]);
  }

  /** Our host ids for hosts named by XAPI uuid within their pool, keyed `poolId/xapiUuid`; a host not synced yet is absent. */
  async idsByXapiUuid(hosts: { poolId: string; xapiUuid: string }[], q: EntityManager = this.ds.manager): Promise<Map<string, string>> {
    if (!hosts.length) return new Map();
    const found = await rows<{ key: string; id: string }>(
      q,
      `SELECT h.pool_id || '/' || h.xapi_uuid AS key, h.id FROM hosts h
       JOIN unnest($1::uuid[], $2::text[]) AS w(pool_id, xapi_uuid) ON h.pool_id = w.pool_id AND h.xapi_uuid = w.xapi_uuid`,
      [hosts.map((h) => h.poolId), hosts.map((h) => h.xapiUuid)],
    );
    return new Map(found.map((r) => [r.key, r.id]));
  }

  /** Replaces a pool's hosts with what XAPI reports now (ids stay stable per host uuid); `tx` makes it one change. */
  async replaceForPool(tx: EntityManager, poolId: string, hosts: ObservedHost[]): Promise<void> {
    for (const h of hosts) {
      await affected(
        tx,
        `INSERT INTO hosts (id, pool_id, xapi_uuid, name, address, enabled, live, memory_total_bytes, memory_free_bytes, cpu_count,
           ovsdb_target, openflow_target, bridge, tunnel_ip)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (pool_id, xapi_uuid) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address,
           enabled = EXCLUDED.enabled, live = EXCLUDED.live, memory_total_bytes = EXCLUDED.memory_total_bytes,
           memory_free_bytes = EXCLUDED.memory_free_bytes, cpu_count = EXCLUDED.cpu_count, ovsdb_target = EXCLUDED.ovsdb_target,
           openflow_target = EXCLUDED.openflow_target, bridge = EXCLUDED.bridge, tunnel_ip = EXCLUDED.tunnel_ip, updated_at = now()`,
        [
          randomUUID(),
          poolId,
          h.xapiUuid,
          h.name,
          h.address,
          h.enabled,
          h.live,
          h.memoryTotalBytes,
          h.memoryFreeBytes,
          h.cpuCount,
          h.ovsdbTarget ?? null,
          h.openflowTarget ?? null,
          h.bridge ?? null,
          h.tunnelIp ?? null,
        ],
      );
    }
    await affected(tx, `DELETE FROM hosts WHERE pool_id = $1 AND NOT (xapi_uuid = ANY($2::text[]))`, [poolId, hosts.map((h) => h.xapiUuid)]);
  }

  /**
   * The failure detector's view of a pool's hosts, as its master answers now: a live host forgets its failure; one not
   * live is remembered from the first time it was seen so, and declared dead once that is past the pool's grace.
   * Returns the pool's hosts declared dead.
   */
  async observeLiveness(tx: EntityManager, poolId: string, observed: { xapiUuid: string; live: boolean }[]): Promise<HostEntity[]> {
    if (observed.length) {
      await affected(
        tx,
        `UPDATE hosts h SET
           not_live_since = CASE WHEN w.live THEN NULL ELSE coalesce(h.not_live_since, now()) END,
           failed_at = CASE WHEN w.live THEN NULL
             WHEN h.failed_at IS NOT NULL THEN h.failed_at
             WHEN h.not_live_since <= now() - make_interval(secs => p.host_failure_grace_seconds) THEN now() END
         FROM unnest($2::text[], $3::boolean[]) AS w(xapi_uuid, live), pools p
         WHERE h.pool_id = $1 AND p.id = h.pool_id AND h.xapi_uuid = w.xapi_uuid`,
        [poolId, observed.map((h) => h.xapiUuid), observed.map((h) => h.live)],
      );
    }
    return tx
      .createQueryBuilder(HostEntity, 'h')
      .where('h.pool_id = :poolId AND h.failed_at IS NOT NULL', { poolId })
      .orderBy('h.created_at')
      .getMany();
  }

  async countByPool(): Promise<Map<string, number>> {
    const counts = await rows<{ poolId: string; n: number }>(
      this.ds.manager,
      `SELECT pool_id AS "poolId", count(*)::int AS n FROM hosts GROUP BY pool_id`,
    );
    return new Map(counts.map((r) => [r.poolId, r.n]));
  }
}
