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

  async countByPool(): Promise<Map<string, number>> {
    const counts = await rows<{ poolId: string; n: number }>(
      this.ds.manager,
      `SELECT pool_id AS "poolId", count(*)::int AS n FROM hosts GROUP BY pool_id`,
    );
    return new Map(counts.map((r) => [r.poolId, r.n]));
  }
}
