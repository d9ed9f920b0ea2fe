import { parseBillingPeriod, type BillingPeriod } from '../billing-period.js';
import type { TagValue } from '../focus-row.js';
import { HOUR_MS } from '../hourly-split.js';
import type { PriceListVersion } from '../rating.js';
import type { Sku } from '../skus.js';
import { mibToGib, type UsageEvent, type UsageEventKind } from '../usage-events.js';

/** A generated month of usage: several tenants, all SKUs, lifecycle churn, two sources, and a mid-month price change. */
export interface MonthFixture {
  readonly period: BillingPeriod;
  readonly events: UsageEvent[];
  readonly prices: PriceListVersion[];
  readonly tenantNames: ReadonlyMap<string, string>;
  readonly regionNames: ReadonlyMap<string, string>;
  readonly resourceNames: ReadonlyMap<string, string>;
  readonly resourceTags: ReadonlyMap<string, Record<string, TagValue>>;
}

export interface MonthOptions {
  readonly period: string;
  readonly seed: number;
  readonly tenants?: number;
  readonly vmsPerTenant?: number;
}

/** Small deterministic PRNG (mulberry32): the same seed gives the same month on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A UUID-shaped id from a label and a number, so ids sort and read predictably in failures. */
export function fixtureId(kind: number, n: number): string {
  return `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

const FLAVORS = [
  { vcpus: 1, memoryMiB: 512, diskGiB: 10 },
  { vcpus: 2, memoryMiB: 2048, diskGiB: 20 },
  { vcpus: 4, memoryMiB: 3000, diskGiB: 40 },
] as const;

/** Two price list versions in EUR: v1 from before the month, v2 from the middle of day 15. */
export function fixturePrices(period: BillingPeriod): PriceListVersion[] {
  const items = (
    vm: string,
    vcpu: string,
    mem: string,
    disk: string,
    net: string,
    vol: string,
    snap: string,
    ip: string,
  ): PriceListVersion['items'] => [
    { sku: 'vm-hour', unitPrice: vm, unit: 'Hours' },
    { sku: 'vcpu-hour', unitPrice: vcpu, unit: 'Core-Hours' },
    { sku: 'memory-gib-hour', unitPrice: mem, unit: 'GiB-Hours' },
    { sku: 'disk-gib-hour', unitPrice: disk, unit: 'GiB-Hours' },
    { sku: 'network-hour', unitPrice: net, unit: 'Hours' },
    { sku: 'volume-gib-hour', unitPrice: vol, unit: 'GiB-Hours' },
    { sku: 'snapshot-gib-hour', unitPrice: snap, unit: 'GiB-Hours' },
    { sku: 'public-ip-hour', unitPrice: ip, unit: 'Hours' },
  ];
  return [
    {
      versionId: 'v1',
      effectiveFromMs: period.startMs - 40 * 24 * HOUR_MS,
      currency: 'EUR',
      items: items('0.0125', '0.01', '0.005', '0.0002', '0.004', '0.00015', '0.00005', '0.005'),
    },
    // Mid-month, and mid-hour: the 12:00 hour still uses v1, 13:00 uses v2.
    {
      versionId: 'v2',
      effectiveFromMs: period.startMs + 14 * 24 * HOUR_MS + 12 * HOUR_MS + 1_800_000,
      currency: 'EUR',
      items: items('0.015', '0.009', '0.0045', '0.00025', '0.005', '0.0002', '0.00007', '0.006'),
    },
  ];
}

/** Generates the month; events are in generation order (tests shuffle them). */
export function generateMonth(options: MonthOptions): MonthFixture {
  const period = parseBillingPeriod(options.period);
  const rnd = prng(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const span = period.endMs - period.startMs;
  const events: UsageEvent[] = [];
  const tenantNames = new Map<string, string>();
  const regionNames = new Map([
    [fixtureId(2, 1), 'Pool A'],
    [fixtureId(2, 2), 'Pool B'],
  ]);
  const resourceNames = new Map<string, string>();
  const resourceTags = new Map<string, Record<string, TagValue>>();
  let op = 0;
  const emit = (
    base: Omit<UsageEvent, 'sku' | 'quantity' | 'source' | 'sourceKey' | 'kind'>,
    kind: UsageEventKind,
    skus: [Sku, string][],
    echo: boolean,
  ): void => {
    op += 1;
    for (const [sku, quantity] of skus) {
      events.push({ ...base, source: 'control-plane', sourceKey: `op-${op}/${kind}/${sku}`, sku, kind, quantity });
      // The XAPI watcher sees the same power change a little later, under its own key.
      if (echo)
        events.push({
          ...base,
          source: 'xapi',
          sourceKey: `${base.resourceId}/${kind}/${base.occurredAtMs}/${sku}`,
          sku,
          kind,
          quantity,
          occurredAtMs: base.occurredAtMs + Math.floor(rnd() * 2500),
        });
    }
  };
  for (let t = 1; t <= (options.tenants ?? 3); t += 1) {
    const tenantId = fixtureId(1, t);
    tenantNames.set(tenantId, `tenant-${t}`);
    for (let n = 1; n <= 2; n += 1) {
      const networkId = fixtureId(3, t * 100 + n);
      resourceNames.set(networkId, `net-${t}-${n}`);
      const regionId = pick([...regionNames.keys()]);
      const base = { resourceId: networkId, tenantId, regionId };
      emit({ ...base, occurredAtMs: period.startMs + Math.floor((rnd() - 0.3) * span * 0.5) }, 'start', [['network-hour', '1']], false);
      if (n === 2) emit({ ...base, occurredAtMs: period.startMs + Math.floor((0.5 + rnd() * 0.6) * span) }, 'stop', [['network-hour', '1']], false);
    }
    // A block volume: made, grown once, and (for every other tenant) deleted before the month ends.
    const volumeId = fixtureId(6, t);
    resourceNames.set(volumeId, `vol-${t}`);
    const vol = { resourceId: volumeId, tenantId, regionId: pick([...regionNames.keys()]) };
    emit({ ...vol, occurredAtMs: period.startMs + Math.floor(rnd() * span * 0.3) }, 'start', [['volume-gib-hour', '50']], false);
    emit({ ...vol, occurredAtMs: period.startMs + Math.floor((0.35 + rnd() * 0.2) * span) }, 'change', [['volume-gib-hour', '80']], false);
    if (t % 2 === 0)
      emit({ ...vol, occurredAtMs: period.startMs + Math.floor((0.6 + rnd() * 0.3) * span) }, 'stop', [['volume-gib-hour', '80']], false);
    // A snapshot of that volume, kept from its making until (for every third tenant) it is deleted.
    const snapshotId = fixtureId(7, t);
    resourceNames.set(snapshotId, `snap-${t}`);
    const snap = { resourceId: snapshotId, tenantId, regionId: vol.regionId };
    emit({ ...snap, occurredAtMs: period.startMs + Math.floor((0.3 + rnd() * 0.05) * span) }, 'start', [['snapshot-gib-hour', '50']], false);
    if (t % 3 === 0)
      emit({ ...snap, occurredAtMs: period.startMs + Math.floor((0.7 + rnd() * 0.2) * span) }, 'stop', [['snapshot-gib-hour', '50']], false);
    // A provider network address: held from early in the month, given back (for every other tenant) before it ends.
    const ipId = fixtureId(8, t);
    resourceNames.set(ipId, `203.0.113.${10 + t}`);
    const ip = { resourceId: ipId, tenantId, regionId: pick([...regionNames.keys()]) };
    emit({ ...ip, occurredAtMs: period.startMs + Math.floor(rnd() * span * 0.4) }, 'start', [['public-ip-hour', '1']], false);
    if (t % 2 === 1) emit({ ...ip, occurredAtMs: period.startMs + Math.floor((0.5 + rnd() * 0.4) * span) }, 'stop', [['public-ip-hour', '1']], false);
    for (let v = 1; v <= (options.vmsPerTenant ?? 3); v += 1) {
      const vmId = fixtureId(4, t * 100 + v);
      const diskId = fixtureId(5, t * 100 + v);
      const regionId = pick([...regionNames.keys()]);
      resourceNames.set(vmId, `vm-${t}-${v}`);
      resourceNames.set(diskId, `vm-${t}-${v}-disk0`);
      let flavor = pick(FLAVORS);
      resourceTags.set(vmId, { 'cp/flavor': `f${flavor.vcpus}`, env: v % 2 === 0 ? 'prod' : 'dev', pinned: true });
      const vmSkus = (): [Sku, string][] => [
        ['vm-hour', '1'],
        ['vcpu-hour', String(flavor.vcpus)],
        ['memory-gib-hour', mibToGib(flavor.memoryMiB)],
      ];
      let at = period.startMs + Math.floor((rnd() - 0.2) * span * 0.3);
      emit({ resourceId: diskId, tenantId, regionId, occurredAtMs: at }, 'start', [['disk-gib-hour', String(flavor.diskGiB)]], false);
      at += 1000 + Math.floor(rnd() * 90_000);
      emit({ resourceId: vmId, tenantId, regionId, occurredAtMs: at }, 'start', vmSkus(), true);
      let running = true;
      while (at < period.endMs + HOUR_MS) {
        at += Math.floor(rnd() * 4 * 24 * HOUR_MS) + 1;
        const action = pick(['stop', 'start', 'resize', 'reboot', 'delete', 'nothing'] as const);
        const vm = { resourceId: vmId, tenantId, regionId, occurredAtMs: at };
        if (action === 'stop' && running) {
          emit(vm, 'stop', vmSkus(), true);
          running = false;
        } else if (action === 'start' && !running) {
          emit(vm, 'start', vmSkus(), true);
          running = true;
        } else if (action === 'reboot' && running) {
          emit(vm, 'stop', vmSkus(), false);
          emit(vm, 'start', vmSkus(), false);
        } else if (action === 'resize') {
          const bigger = FLAVORS[Math.min(FLAVORS.indexOf(flavor) + 1, FLAVORS.length - 1)];
          flavor = rnd() < 0.5 ? bigger : pick(FLAVORS);
          emit(vm, 'change', vmSkus().slice(1), false);
          emit({ ...vm, resourceId: diskId }, 'change', [['disk-gib-hour', String(flavor.diskGiB)]], false);
        } else if (action === 'delete' && rnd() < 0.5) {
          if (running) emit(vm, 'stop', vmSkus(), true);
          emit({ ...vm, resourceId: diskId, occurredAtMs: at + 5000 }, 'stop', [['disk-gib-hour', String(flavor.diskGiB)]], false);
          break;
        }
      }
    }
  }
  return { period, events, prices: fixturePrices(period), tenantNames, regionNames, resourceNames, resourceTags };
}

/** A copy of the events in a seeded random order, with some replayed more than once (P3). */
export function shuffleWithDuplicates<T>(items: readonly T[], seed: number, duplicateShare = 0.3): T[] {
  const rnd = prng(seed);
  const out = [...items, ...items.filter(() => rnd() < duplicateShare)];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
