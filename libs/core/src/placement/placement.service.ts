import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ServerGroupRepository } from '../database/repositories/server-group.repository.js';
import { DomainError, NotFoundError } from '../errors/domain-error.js';
import { PlacementRepository } from './placement.repository.js';
import { schedule, type PlacementRequest, type Rejected } from './scheduler.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface PlaceInput {
  tenantId: string;
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
  /** The image's template (uuid or name_label), looked for in each pool's synced templates. */
  template: string;
  region?: string;
  zone?: string;
  serverGroupId?: string | null;
  /** Choose a host on this pool only (the VM's pool is fixed once its disks are there). */
  poolId?: string;
  /** The VM placed: its own claim does not count, and its current host is excluded when it moves. */
  vmId?: string;
  excludeHostIds?: string[];
  /** Who decided: the API (pool and host claim), the worker (a host at start), or a move. */
  stage: 'api' | 'worker' | 'migrate' | 'restart';
}

export interface Placement {
  poolId: string;
  /** null: the pool's hosts are not reported yet, the worker chooses when it starts the VM. */
  hostId: string | null;
  /** What is recorded on the operation: the choice, the top of the ranking, and what each filter turned away. */
  decision: Record<string, unknown>;
}

/** A refusal naming the filter that removed the last host, with every filter's count (never a bare "no valid host"). */
export class NoCapacityError extends DomainError {
  constructor(filter: string, rejected: Rejected, what: string) {
    const reasons = Object.entries(rejected.byReason)
      .map(([f, n]) => `${f}: ${n}`)
      .join(', ');
    super(
      'no_capacity',
      `no host can take ${what}: ${rejected.hostsConsidered} considered (${reasons || 'none registered'}); ${filter} turned away the last`,
      {
        filter,
        rejected,
      },
    );
  }
}

function unreachable(hosts: { poolName: string; poolStatus: string }[]): DomainError {
  const held = [...new Set(hosts.filter((h) => h.poolStatus === 'identity_mismatch').map((h) => h.poolName))];
  const why = held.length > 0 ? `pool ${held.join(', ')} is held until an operator confirms its identity` : 'no pool that could take it is reachable';
  return new DomainError('unavailable', `${why}; retry later`, { retryAfter: 60 });
}

/**
 * Placement for every caller: locks the VM's server group (placements into one group take turns, so two creates in
 * an anti-affinity group never pick one host), reads the candidates in the caller's transaction, and schedules.
 * The claim the caller writes (vms.placed_host_id) in that same transaction is what the next placement sees.
 */
@Injectable()
export class PlacementService {
  constructor(
    private readonly candidates: PlacementRepository,
    private readonly groups: ServerGroupRepository,
  ) {}

  async place(tx: EntityManager, input: PlaceInput): Promise<Placement> {
    let group: PlacementRequest['group'] = null;
    if (input.serverGroupId) {
      const found = await this.groups.lock(tx, input.tenantId, input.serverGroupId);
      if (!found) throw new NotFoundError('server group', input.serverGroupId);
      group = { policy: found.policy, members: await this.candidates.groupSize(tx, found.id, input.vmId) };
    }
    const hosts = await this.candidates.candidates(tx, {
      tenantId: input.tenantId,
      serverGroupId: input.serverGroupId ?? null,
      template: input.template,
      poolId: input.poolId,
      vmId: input.vmId,
    });
    const request: PlacementRequest = {
      vcpus: input.vcpus,
      memoryBytes: input.memoryMiB * MiB,
      diskBytes: input.diskGiB * GiB,
      region: input.region,
      zone: input.zone,
      group,
      excludeHostIds: input.excludeHostIds,
    };
    if (hosts.length === 0 && !input.poolId) throw new DomainError('unavailable', 'no XAPI pool is registered');
    const result = schedule(hosts, request);
    // Every pool that could take it is held or unreachable: nothing is full, so a retry later may succeed.
    if (!result.ok && result.filter === 'pool_connected') throw unreachable(hosts);
    if (!result.ok) throw new NoCapacityError(result.filter, result.rejected, `${input.vcpus} vCPUs and ${input.memoryMiB} MiB`);
    const { chosen } = result;
    return {
      poolId: chosen.poolId,
      hostId: chosen.hostId,
      decision: {
        stage: input.stage,
        poolId: chosen.poolId,
        poolName: chosen.poolName,
        region: chosen.region,
        zone: chosen.zone,
        hostId: chosen.hostId,
        hostName: chosen.hostName,
        ...(input.serverGroupId ? { serverGroupId: input.serverGroupId, policy: group?.policy } : {}),
        ranking: result.ranking.slice(0, 5),
        rejected: result.rejected,
        decidedAt: new Date().toISOString(),
      },
    };
  }
}
