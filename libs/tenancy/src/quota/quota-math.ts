/** The quota dimensions of the public contract (API.md), in the order errors report them. */
export const QUOTA_RESOURCES = [
  'vms',
  'vcpus',
  'memoryMiB',
  'diskGiB',
  'networks',
  'apiKeys',
  'keypairs',
  'volumes',
  'volumeGiB',
  'snapshots',
  'snapshotGiB',
  'publicIps',
  'securityGroups',
  'securityGroupRules',
  'imageGiB',
] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/** An amount per dimension: usage, a charge (positive) or a release/shrink (negative). */
export type QuotaAmounts = Record<QuotaResource, number>;
/** A change in any subset of dimensions; missing dimensions are 0. */
export type QuotaDelta = Partial<QuotaAmounts>;
/** null = unlimited. */
export type QuotaLimits = Record<QuotaResource, number | null>;

export interface Quota {
  limits: QuotaLimits;
  used: QuotaAmounts;
}

export interface QuotaShortfall {
  resource: QuotaResource;
  limit: number;
  used: number;
  requested: number;
}

export const UNLIMITED: QuotaLimits = {
  vms: null,
  vcpus: null,
  memoryMiB: null,
  diskGiB: null,
  networks: null,
  apiKeys: null,
  keypairs: null,
  volumes: null,
  volumeGiB: null,
  snapshots: null,
  snapshotGiB: null,
  publicIps: null,
  securityGroups: null,
  securityGroupRules: null,
  imageGiB: null,
};
export const ZERO: QuotaAmounts = {
  vms: 0,
  vcpus: 0,
  memoryMiB: 0,
  diskGiB: 0,
  networks: 0,
  apiKeys: 0,
  keypairs: 0,
  volumes: 0,
  volumeGiB: 0,
  snapshots: 0,
  snapshotGiB: 0,
  publicIps: 0,
  securityGroups: 0,
  securityGroupRules: 0,
  imageGiB: 0,
};

/** Every dimension present and a safe integer; anything else is a programming error, not a tenant's. */
export function normalizeDelta(delta: QuotaDelta): QuotaAmounts {
  const out = { ...ZERO };
  for (const r of QUOTA_RESOURCES) {
    const v = delta[r] ?? 0;
    if (!Number.isSafeInteger(v)) throw new RangeError(`quota delta ${r} must be an integer, got ${v}`);
    out[r] = v;
  }
  return out;
}

/** Every limit, those not given (or undefined) being unlimited. */
export function fillLimits(partial: Partial<QuotaLimits>): QuotaLimits {
  return Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, partial[r] ?? null])) as QuotaLimits;
}

export function negate(a: QuotaAmounts): QuotaAmounts {
  return mapAmounts((r) => (a[r] === 0 ? 0 : -a[r]));
}

export function add(a: QuotaAmounts, b: QuotaAmounts): QuotaAmounts {
  return mapAmounts((r) => a[r] + b[r]);
}

/** b − a per dimension: what must be added to `a` to reach `b` (a resize delta, or a recount's drift). */
export function difference(a: QuotaAmounts, b: QuotaAmounts): QuotaAmounts {
  return mapAmounts((r) => b[r] - a[r]);
}

export function isZero(a: QuotaAmounts): boolean {
  return QUOTA_RESOURCES.every((r) => a[r] === 0);
}

/** Whether `delta` may be applied: shrinking always may; growth must stay within a set limit. */
export function fits(limit: number | null, used: number, delta: number): boolean {
  return delta <= 0 || limit === null || used + delta <= limit;
}

/** The first dimension in which `delta` does not fit, or null if all do (mirrors the SQL condition). */
export function firstShortfall(quota: Quota, delta: QuotaAmounts): QuotaShortfall | null {
  for (const r of QUOTA_RESOURCES) {
    const limit = quota.limits[r];
    if (limit !== null && !fits(limit, quota.used[r], delta[r])) {
      return { resource: r, limit, used: quota.used[r], requested: delta[r] };
    }
  }
  return null;
}

/** What one VM holds: allocation, so a stopped VM keeps its vCPUs, memory and disk charged (DESIGN.md). */
export function vmFootprint(vm: { vcpus: number; memoryMiB: number; diskGiB: number }, publicIps = 0): QuotaAmounts {
  return { ...ZERO, vms: 1, vcpus: vm.vcpus, memoryMiB: vm.memoryMiB, diskGiB: vm.diskGiB, publicIps };
}

/** What one volume holds: itself and its size (a grow is charged as the difference). */
export function volumeFootprint(v: { sizeGiB: number }): QuotaAmounts {
  return { ...ZERO, volumes: 1, volumeGiB: v.sizeGiB };
}

/** What one snapshot holds: itself and the GiB of the disks it copies. */
export function snapshotFootprint(s: { sizeGiB: number }): QuotaAmounts {
  return { ...ZERO, snapshots: 1, snapshotGiB: s.sizeGiB };
}

/** What a tenant's image holds: the GiB of its golden disk (0 while it has none). */
export function imageFootprint(i: { sizeGiB: number }): QuotaAmounts {
  return { ...ZERO, imageGiB: i.sizeGiB };
}

function mapAmounts(f: (r: QuotaResource) => number): QuotaAmounts {
  return Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, f(r)])) as QuotaAmounts;
}
