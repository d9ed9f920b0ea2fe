import { canonicalJson } from '@xenplane/core';
import { addDecimals, canonicalDecimal, decimalFromInteger, formatDecimal, parseDecimal, type Decimal } from '../decimal.js';
import { canonicalUsageEvent, validateUsageEvent, type UsageEvent } from '../usage-events.js';

/**
 * An independent, deliberately naive meter for tests (P1): it replays raw events second by second and counts
 * each billable second into its hour, without intervals or hour splitting. Same documented semantics as
 * deriveIntervals (dedupe by natural key keeping the canonical-first content; per instant stop, start,
 * change; floor to seconds), different mechanics.
 */
export function referenceMeter(events: readonly UsageEvent[], fromMs: number, toMs: number): Map<string, { seconds: number; consumed: string }> {
  const byKey = new Map<string, UsageEvent>();
  for (const e of events) {
    if (validateUsageEvent(e).length > 0) continue;
    const key = `${e.source}\u0000${e.sourceKey}`;
    const held = byKey.get(key);
    if (!held || canonicalUsageEvent(e) < canonicalUsageEvent(held)) byKey.set(key, e);
  }
  const streams = new Map<string, UsageEvent[]>();
  for (const e of byKey.values()) {
    const k = `${e.resourceId}\u0000${e.sku}`;
    streams.set(k, [...(streams.get(k) ?? []), e]);
  }
  const rank = { stop: 0, start: 1, change: 2 } as const;
  const out = new Map<string, { seconds: number; consumed: Decimal }>();
  for (const stream of streams.values()) {
    stream.sort(
      (a, b) =>
        a.occurredAtMs - b.occurredAtMs ||
        rank[a.kind] - rank[b.kind] ||
        (a.source < b.source ? -1 : a.source > b.source ? 1 : 0) ||
        (a.sourceKey < b.sourceKey ? -1 : a.sourceKey > b.sourceKey ? 1 : 0),
    );
    let state: { q: string; tenantId: string; regionId: string } | null = null;
    let next = 0;
    // The first pass of the loop applies every event up to fromMs: the state the window starts in.
    for (let s = fromMs; s < toMs; s += 1000) {
      while (next < stream.length && Math.floor(stream[next].occurredAtMs / 1000) * 1000 <= s) {
        const e = stream[next++];
        const q = canonicalDecimal(parseDecimal(e.quantity));
        if (e.kind === 'stop') state = null;
        else if (e.kind === 'start' && !state) state = { q, tenantId: e.tenantId, regionId: e.regionId };
        else if (state) state = { q, tenantId: state.tenantId, regionId: state.regionId };
      }
      if (!state) continue;
      const hour = s - (s % 3_600_000);
      const key = canonicalJson([state.tenantId, state.regionId, stream[0].resourceId, stream[0].sku, hour]);
      const acc = out.get(key) ?? { seconds: 0, consumed: decimalFromInteger(0) };
      acc.seconds += 1;
      acc.consumed = addDecimals(acc.consumed, parseDecimal(state.q));
      out.set(key, acc);
    }
  }
  return new Map([...out].map(([k, v]) => [k, { seconds: v.seconds, consumed: formatDecimal(v.consumed, 10) }]));
}
