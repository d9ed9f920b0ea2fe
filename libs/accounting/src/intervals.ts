import { compareStrings } from '@xenplane/core';
import { canonicalDecimal, parseDecimal } from './decimal.js';
import type { Sku } from './skus.js';
import { canonicalUsageEvent, compareUsageEvents, floorToSecond, usageEventKey, validateUsageEvent, type UsageEvent } from './usage-events.js';

/**
 * A span during which one resource was billable for one SKU at one size: `[startMs, endMs)`, whole seconds,
 * UTC. `endMs` null means still open. Intervals of one (resource, sku) never overlap (the DB's exclusion
 * constraint holds them to the same rule).
 */
export interface UsageInterval {
  readonly resourceId: string;
  readonly sku: Sku;
  readonly tenantId: string;
  readonly regionId: string;
  /** Canonical decimal text of the size. */
  readonly quantity: string;
  readonly startMs: number;
  readonly endMs: number | null;
}

export type IntervalAnomalyKind =
  /** Unusable event (bad sku, kind, time or size): skipped. */
  | 'invalid-event'
  /** Same natural key, different content: the canonical-first one is kept, this one dropped. */
  | 'conflicting-duplicate'
  /** A stop while nothing is open: ignored (routine when a second source reports the same stop). */
  | 'stop-without-start'
  /** A start while open: ignored if the size is the same (routine), else applied as a resize. */
  | 'start-while-running'
  /** The event names another tenant or pool than the open interval: the interval keeps its own. */
  | 'attribute-mismatch';

export interface IntervalAnomaly {
  readonly kind: IntervalAnomalyKind;
  readonly event: UsageEvent;
  readonly detail: string;
}

export interface DerivedIntervals {
  readonly intervals: UsageInterval[];
  readonly anomalies: IntervalAnomaly[];
}

interface Open {
  quantity: string;
  startMs: number;
  tenantId: string;
  regionId: string;
}

/**
 * Derives the intervals of every (resource, sku) from an unordered event log, duplicates included.
 * The result depends only on the *set* of events: any order, any number of replays give identical output.
 * Rules, applied in `compareUsageEvents` order with times floored to whole seconds:
 * - start while stopped opens an interval at that size;
 * - stop closes the open interval; stop while stopped is ignored;
 * - change while running closes the interval and opens the next at the same instant with the new size
 *   (half-open, so they touch without overlapping); change while stopped does nothing, since the next
 *   start carries the size; a change to the same size does nothing;
 * - start while running with the same size is ignored, with another size it acts as a change;
 * - intervals that are empty after flooring (start and stop in the same second) are dropped.
 */
export function deriveIntervals(events: Iterable<UsageEvent>): DerivedIntervals {
  const anomalies = new Map<string, IntervalAnomaly>();
  const note = (kind: IntervalAnomalyKind, event: UsageEvent, detail: string): void => {
    // Keyed by content so that replays report each anomaly once.
    anomalies.set(`${kind}\u0000${canonicalUsageEvent(event)}\u0000${detail}`, { kind, event, detail });
  };
  const byNaturalKey = new Map<string, Map<string, UsageEvent>>();
  for (const event of events) {
    const problems = validateUsageEvent(event);
    if (problems.length > 0) {
      note('invalid-event', event, problems.join('; '));
      continue;
    }
    const key = usageEventKey(event);
    const versions = byNaturalKey.get(key) ?? new Map<string, UsageEvent>();
    versions.set(canonicalUsageEvent(event), event);
    byNaturalKey.set(key, versions);
  }

  const streams = new Map<string, UsageEvent[]>();
  for (const versions of byNaturalKey.values()) {
    const [kept, ...dropped] = [...versions.keys()].sort(compareStrings);
    const event = versions.get(kept)!;
    for (const d of dropped) note('conflicting-duplicate', versions.get(d)!, `natural key ${usageEventKey(event)} already holds ${kept}`);
    const streamKey = JSON.stringify([event.resourceId, event.sku]);
    const stream = streams.get(streamKey) ?? [];
    stream.push(event);
    streams.set(streamKey, stream);
  }

  const intervals: UsageInterval[] = [];
  for (const stream of streams.values()) replay(stream.sort(compareUsageEvents), intervals, note);
  intervals.sort(compareIntervals);
  const sortedAnomalies = [...anomalies.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, v]) => v);
  return { intervals, anomalies: sortedAnomalies };
}

function replay(stream: UsageEvent[], out: UsageInterval[], note: (kind: IntervalAnomalyKind, event: UsageEvent, detail: string) => void): void {
  const { resourceId, sku } = stream[0];
  // A holder, not a `let`: TypeScript does not follow assignments made inside `close`.
  const state: { open: Open | null } = { open: null };
  const close = (atMs: number): void => {
    if (state.open && atMs > state.open.startMs) out.push({ resourceId, sku, ...state.open, endMs: atMs });
    state.open = null;
  };
  for (const event of stream) {
    const at = floorToSecond(event.occurredAtMs);
    const current = state.open;
    if (current && (event.tenantId !== current.tenantId || event.regionId !== current.regionId)) {
      note('attribute-mismatch', event, `interval belongs to tenant ${current.tenantId} in ${current.regionId}`);
    }
    if (event.kind === 'stop') {
      if (current) close(at);
      else note('stop-without-start', event, 'nothing open');
      continue;
    }
    const quantity = canonicalDecimal(parseDecimal(event.quantity));
    if (!current) {
      if (event.kind === 'start') state.open = { quantity, startMs: at, tenantId: event.tenantId, regionId: event.regionId };
      continue;
    }
    if (event.kind === 'start')
      note('start-while-running', event, `open since ${new Date(current.startMs).toISOString()} at size ${current.quantity}`);
    if (quantity === current.quantity) continue;
    close(at);
    state.open = { ...current, quantity, startMs: at };
  }
  const last = state.open;
  if (last) out.push({ resourceId, sku, ...last, endMs: null });
}

export function compareIntervals(a: UsageInterval, b: UsageInterval): number {
  return compareStrings(a.resourceId, b.resourceId) || compareStrings(a.sku, b.sku) || a.startMs - b.startMs;
}
