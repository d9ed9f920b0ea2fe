// The scheduler, pure: filters drop the hosts that cannot take a VM (each refusal counted under the filter's name),
// weighers rank the rest. Callers feed it pool-sync data and the claims in Postgres (PlacementRepository).
import type { PoolStatus } from '../database/entities/pool.entity.js';
import type { ServerGroupPolicy } from '../database/entities/server-group.entity.js';

/** One host as placement sees it; `hostId` null stands for a pool whose hosts no worker has reported yet. */
export interface HostCandidate {
  hostId: string | null;
  hostName: string | null;
  poolId: string;
  poolName: string;
  poolStatus: PoolStatus;
  region: string | null;
  zone: string | null;
  poolWeight: number;
  cpuAllocationRatio: number;
  memoryAllocationRatio: number;
  srFreeBytes: number | null;
  enabled: boolean;
  live: boolean;
  /** Draining or in maintenance: no new VM lands there. */
  maintenance: boolean;
  memoryTotalBytes: number;
  memoryFreeBytes: number;
  cpuCount: number;
  /** Memory and vCPUs of the VMs running or about to run there (by residence, else by the scheduler's claim). */
  allocatedMemoryBytes: number;
  allocatedVcpus: number;
  /** Memory of VMs claimed there and not resident yet: not in the observed free memory. */
  pendingMemoryBytes: number;
  tenantVms: number;
  groupMembers: number;
  /** null: the pool has not shown its templates yet. */
  imageAvailable: boolean | null;
}

export interface PlacementRequest {
  vcpus: number;
  memoryBytes: number;
  diskBytes: number;
  region?: string;
  zone?: string;
  group?: { policy: ServerGroupPolicy; members: number } | null;
  /** Hosts the VM must not go to (its current one when it moves). */
  excludeHostIds?: string[];
}

export const FILTERS = ['zone', 'pool_connected', 'host_live', 'host_enabled', 'image', 'storage', 'memory', 'vcpus', 'server_group'] as const;
export type FilterName = (typeof FILTERS)[number];

export interface Rejected {
  hostsConsidered: number;
  byReason: Partial<Record<FilterName, number>>;
}

export interface Weighed {
  hostId: string | null;
  hostName: string | null;
  poolId: string;
  score: number;
  weighers: { freeMemory: number; tenantSpread: number; poolWeight: number; softAntiAffinity: number };
}

export type PlacementResult =
  { ok: true; chosen: HostCandidate; ranking: Weighed[]; rejected: Rejected } | { ok: false; filter: FilterName; rejected: Rejected };

const CONNECTED: readonly PoolStatus[] = ['connected', 'pending'];

function physicalHeadroom(h: HostCandidate): number {
  return h.memoryFreeBytes + (h.memoryAllocationRatio - 1) * h.memoryTotalBytes - h.pendingMemoryBytes;
}

/** Each filter: true when the host may take the VM. An unreported pool (hostId null) passes what it cannot know. */
const CHECKS: Record<FilterName, (h: HostCandidate, r: PlacementRequest) => boolean> = {
  zone: (h, r) => (r.region === undefined || h.region === r.region) && (r.zone === undefined || h.zone === r.zone),
  pool_connected: (h) => CONNECTED.includes(h.poolStatus),
  host_live: (h) => h.hostId === null || h.live,
  host_enabled: (h) => h.hostId === null || (h.enabled && !h.maintenance),
  image: (h) => h.imageAvailable !== false,
  storage: (h, r) => h.srFreeBytes === null || h.srFreeBytes >= r.diskBytes,
  memory: (h, r) =>
    h.hostId === null ||
    (h.allocatedMemoryBytes + r.memoryBytes <= h.memoryTotalBytes * h.memoryAllocationRatio && r.memoryBytes <= physicalHeadroom(h)),
  vcpus: (h, r) => h.hostId === null || h.allocatedVcpus + r.vcpus <= h.cpuCount * h.cpuAllocationRatio,
  server_group: (h, r) => {
    if (!r.group || h.hostId === null) return true;
    if (r.group.policy === 'anti-affinity') return h.groupMembers === 0;
    if (r.group.policy === 'affinity') return r.group.members === 0 || h.groupMembers > 0;
    return true;
  },
};

/** How good a host is: free memory left and the tenant's spread, scaled by the pool's weight; soft anti-affinity subtracts. */
function weigh(h: HostCandidate, r: PlacementRequest): Weighed {
  const capacity = h.memoryTotalBytes * h.memoryAllocationRatio;
  const freeMemory = h.hostId === null || capacity === 0 ? 0 : Math.max(0, (capacity - h.allocatedMemoryBytes - r.memoryBytes) / capacity);
  const tenantSpread = h.hostId === null ? 0 : 1 / (1 + h.tenantVms);
  const softAntiAffinity = r.group?.policy === 'soft-anti-affinity' ? -h.groupMembers : 0;
  // An unreported pool ranks below every reported host: it is taken only when nothing known fits.
  const score = h.hostId === null ? -1e6 : h.poolWeight * (freeMemory + tenantSpread) + softAntiAffinity;
  return {
    hostId: h.hostId,
    hostName: h.hostName,
    poolId: h.poolId,
    score,
    weighers: { freeMemory, tenantSpread, poolWeight: h.poolWeight, softAntiAffinity },
  };
}

/**
 * Runs the filters in order over the candidates; a host is counted under the first filter it fails. When none is
 * left, `filter` is the one that removed the last candidates (a `zone` with no pool at all is a zone refusal too).
 */
export function schedule(candidates: readonly HostCandidate[], request: PlacementRequest): PlacementResult {
  const excluded = new Set(request.excludeHostIds ?? []);
  let left = candidates.filter((h) => h.hostId === null || !excluded.has(h.hostId));
  const byReason: Partial<Record<FilterName, number>> = {};
  const hostsConsidered = left.length;
  let emptiedBy: FilterName = 'zone';
  for (const name of FILTERS) {
    const kept = left.filter((h) => CHECKS[name](h, request));
    if (kept.length < left.length) byReason[name] = left.length - kept.length;
    if (kept.length === 0 && left.length > 0) emptiedBy = name;
    left = kept;
    if (left.length === 0) break;
  }
  const rejected = { hostsConsidered, byReason };
  if (left.length === 0) return { ok: false, filter: emptiedBy, rejected };
  const ranking = left
    .map((h) => ({ h, w: weigh(h, request) }))
    .sort((a, b) => b.w.score - a.w.score || (a.h.hostId ?? a.h.poolId).localeCompare(b.h.hostId ?? b.h.poolId));
  return { ok: true, chosen: ranking[0].h, ranking: ranking.map((x) => x.w), rejected };
}
