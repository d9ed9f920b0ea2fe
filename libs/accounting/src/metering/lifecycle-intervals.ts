// Pure: a resource's lifecycle events as the database records them (created, running, stopped, resized, deleted; any
// order, duplicates allowed) to its non-overlapping billable intervals per sku.
import type { Sku } from '../skus.js';
import { mibToGib } from '../usage-events.js';

export type LifecycleKind = 'created' | 'running' | 'stopped' | 'resized' | 'deleted';

export interface LifecycleEvent {
  kind: LifecycleKind;
  /** Event time, ms since the epoch (UTC, the database clock). */
  at: number;
  /** Natural key: the same key twice is the same event. */
  key: string;
  attrs: { vcpus?: number; memoryMiB?: number; diskGiB?: number; name?: string };
}

/** The kinds of resource the database meters (usage_events.resource_type). */
export type MeteredKind = 'vm' | 'network' | 'volume' | 'snapshot' | 'public-ip';

export interface LifecycleInterval {
  sku: Sku;
  /** Exact decimal string: 1, vCPUs, GiB of memory (MiB/1024 is always a finite decimal) or GiB of disk. */
  size: string;
  /** Whole seconds since the epoch; the interval is [start, end), end null while open. */
  start: number;
  end: number | null;
  name: string;
}

// At one instant a resize lands before a start, and a stop before a delete: no zero-length or doubled interval.
const ORDER: Record<LifecycleKind, number> = { created: 0, resized: 1, running: 2, stopped: 3, deleted: 4 };

/** Deduplicated by key, in the order billing applies them; times floored to whole seconds so seconds add up exactly. */
export function orderLifecycleEvents(events: readonly LifecycleEvent[]): LifecycleEvent[] {
  const unique = new Map<string, LifecycleEvent>();
  for (const e of events) if (!unique.has(e.key)) unique.set(e.key, { ...e, at: Math.floor(e.at / 1000) });
  return [...unique.values()].sort((a, b) => a.at - b.at || ORDER[a.kind] - ORDER[b.kind] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Rules: `created` starts the disk (and a network, a volume or a snapshot); `running` also implies existence; `stopped` ends the running
 * meters only; `resized` changes sizes, closing and reopening at the same second (half-open, so never overlapping);
 * `deleted` ends everything. Repeats (running while running, stopped while stopped) change nothing, so observations
 * from several sources may overlap freely.
 */
export function deriveLifecycleIntervals(resourceType: MeteredKind, events: readonly LifecycleEvent[]): LifecycleInterval[] {
  const out: LifecycleInterval[] = [];
  const open = new Map<Sku, { size: string; start: number; name: string }>();
  let exists = false;
  let running = false;
  let attrs: LifecycleEvent['attrs'] = {};
  for (const e of orderLifecycleEvents(events)) {
    if (e.kind === 'created' || e.kind === 'running' || e.kind === 'resized') attrs = { ...attrs, ...e.attrs };
    if (e.kind === 'created') exists = true;
    if (e.kind === 'running') exists = running = true;
    if (e.kind === 'stopped') running = false;
    if (e.kind === 'deleted') exists = running = false;
    const want = new Map<Sku, string>();
    if (resourceType === 'network' && exists) want.set('network-hour', '1');
    if (resourceType === 'public-ip' && exists) want.set('public-ip-hour', '1');
    if (resourceType === 'volume' && exists && attrs.diskGiB) want.set('volume-gib-hour', String(attrs.diskGiB));
    if (resourceType === 'snapshot' && exists && attrs.diskGiB) want.set('snapshot-gib-hour', String(attrs.diskGiB));
    if (resourceType === 'vm' && exists && attrs.diskGiB) want.set('disk-gib-hour', String(attrs.diskGiB));
    if (resourceType === 'vm' && running) {
      want.set('vm-hour', '1');
      if (attrs.vcpus) want.set('vcpu-hour', String(attrs.vcpus));
      if (attrs.memoryMiB) want.set('memory-gib-hour', mibToGib(attrs.memoryMiB));
    }
    const name = attrs.name ?? '';
    for (const [sku, cur] of open) {
      if (want.get(sku) === cur.size) continue;
      if (e.at > cur.start) out.push({ sku, size: cur.size, start: cur.start, end: e.at, name: cur.name });
      open.delete(sku);
    }
    for (const [sku, size] of want) if (!open.has(sku)) open.set(sku, { size, start: e.at, name });
  }
  for (const [sku, cur] of open) out.push({ sku, size: cur.size, start: cur.start, end: null, name: cur.name });
  return out.sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : a.start - b.start));
}
