import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { one, rows } from '../database/sql.js';
import type { HostCandidate } from './scheduler.js';

export interface CandidateQuery {
  tenantId: string;
  serverGroupId: string | null;
  template: string;
  /** Only this pool's hosts (the worker choosing a host on the pool the VM is on). */
  poolId?: string;
  /** The VM being placed: its own claim does not count against it. */
  vmId?: string;
}

const MiB = 1024 * 1024;

/** What the scheduler reads: every pool's hosts as last synced, with what our VMs hold or have claimed on each. */
@Injectable()
export class PlacementRepository {
  /** A VM counts where XAPI shows it resident, else where the scheduler claimed it; released and deleted VMs hold nothing. */
  async candidates(q: EntityManager, c: CandidateQuery): Promise<HostCandidate[]> {
    return rows<HostCandidate>(
      q,
      `WITH v AS (
         SELECT coalesce(hr.id, v.placed_host_id) AS host_id, v.tenant_id, v.server_group_id, v.vcpus, v.memory_mib, v.status,
                hr.id IS NULL AS not_resident
           FROM vms v LEFT JOIN hosts hr ON hr.pool_id = v.pool_id AND hr.xapi_uuid = v.host_uuid
          WHERE v.presence <> 'released' AND v.status <> 'deleted' AND v.id IS DISTINCT FROM $4::uuid
       ), per_host AS (
         SELECT host_id,
                coalesce(sum(memory_mib) FILTER (WHERE status IN ('pending', 'provisioning', 'running')), 0)::float8 * ${MiB} AS alloc_mem,
                coalesce(sum(vcpus) FILTER (WHERE status IN ('pending', 'provisioning', 'running')), 0)::int AS alloc_vcpus,
                coalesce(sum(memory_mib) FILTER (WHERE status IN ('pending', 'provisioning') AND not_resident), 0)::float8 * ${MiB} AS pending_mem,
                count(*) FILTER (WHERE tenant_id = $1)::int AS tenant_vms,
                count(*) FILTER (WHERE server_group_id = $2::uuid)::int AS group_members
           FROM v WHERE host_id IS NOT NULL GROUP BY host_id
       )
       SELECT h.id AS "hostId", h.name AS "hostName", p.id AS "poolId", p.name AS "poolName", p.status AS "poolStatus",
              p.region, p.zone, p.weight::float8 AS "poolWeight", p.cpu_allocation_ratio::float8 AS "cpuAllocationRatio",
              p.memory_allocation_ratio::float8 AS "memoryAllocationRatio", p.sr_free_bytes::float8 AS "srFreeBytes",
              coalesce(h.enabled, false) AS enabled, coalesce(h.live, false) AS live, coalesce(h.maintenance <> 'none', false) AS maintenance,
              coalesce(h.memory_total_bytes, 0)::float8 AS "memoryTotalBytes", coalesce(h.memory_free_bytes, 0)::float8 AS "memoryFreeBytes",
              coalesce(h.cpu_count, 0) AS "cpuCount", coalesce(ph.alloc_mem, 0) AS "allocatedMemoryBytes",
              coalesce(ph.alloc_vcpus, 0) AS "allocatedVcpus", coalesce(ph.pending_mem, 0) AS "pendingMemoryBytes",
              coalesce(ph.tenant_vms, 0) AS "tenantVms", coalesce(ph.group_members, 0) AS "groupMembers",
              CASE WHEN NOT EXISTS (SELECT 1 FROM pool_templates t WHERE t.pool_id = p.id) THEN NULL
                   ELSE EXISTS (SELECT 1 FROM pool_templates t WHERE t.pool_id = p.id AND (t.xapi_uuid = $3 OR t.name_label = $3)) END
                AS "imageAvailable"
         FROM pools p LEFT JOIN hosts h ON h.pool_id = p.id LEFT JOIN per_host ph ON ph.host_id = h.id
        WHERE $5::uuid IS NULL OR p.id = $5::uuid
        ORDER BY p.created_at, p.id, h.name, h.id`,
      [c.tenantId, c.serverGroupId, c.template, c.vmId ?? null, c.poolId ?? null],
    );
  }

  /** How many live VMs the group has (anywhere), for affinity's "the first member goes anywhere". */
  async groupSize(q: EntityManager, serverGroupId: string, exceptVmId?: string): Promise<number> {
    const row = await one<{ n: number }>(
      q,
      `SELECT count(*)::int AS n FROM vms WHERE server_group_id = $1 AND presence <> 'released' AND status <> 'deleted'
          AND id IS DISTINCT FROM $2::uuid`,
      [serverGroupId, exceptVmId ?? null],
    );
    return row?.n ?? 0;
  }
}
