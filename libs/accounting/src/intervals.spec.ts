import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { deriveIntervals } from './intervals.js';
import { shuffleWithDuplicates } from './testing/month-fixture.js';
import { mibToGib, validateUsageEvent, type UsageEvent, type UsageEventKind } from './usage-events.js';

const T0 = Date.UTC(2026, 5, 1, 10); // 2026-06-01T10:00:00Z
let key = 0;
function ev(kind: UsageEventKind, atMs: number, quantity = '2', extra: Partial<UsageEvent> = {}): UsageEvent {
  key += 1;
  return {
    source: 'control-plane',
    sourceKey: `k${key}`,
    resourceId: 'vm-1',
    tenantId: 't1',
    regionId: 'pool-1',
    sku: 'vcpu-hour',
    kind,
    quantity,
    occurredAtMs: atMs,
    ...extra,
  };
}
const spans = (events: UsageEvent[]): [number, number | null, string][] =>
  deriveIntervals(events).intervals.map((i) => [i.startMs - T0, i.endMs === null ? null : i.endMs - T0, i.quantity]);
const kinds = (events: UsageEvent[]): string[] => deriveIntervals(events).anomalies.map((a) => a.kind);

test('start then stop is one half-open interval; an unmatched start stays open', () => {
  assert.deepEqual(spans([ev('start', T0), ev('stop', T0 + 90_000)]), [[0, 90_000, '2']]);
  assert.deepEqual(spans([ev('start', T0)]), [[0, null, '2']]);
});

test('a stop without a start is ignored and reported', () => {
  const events = [ev('stop', T0), ev('start', T0 + 1000), ev('stop', T0 + 5000), ev('stop', T0 + 9000)];
  assert.deepEqual(spans(events), [[1000, 5000, '2']]);
  assert.deepEqual(kinds(events), ['stop-without-start', 'stop-without-start']);
});

test('a second start at the same size is ignored (earliest wins); at another size it is a resize', () => {
  assert.deepEqual(spans([ev('start', T0), ev('start', T0 + 2000, '2.0', { source: 'xapi' }), ev('stop', T0 + 10_000)]), [[0, 10_000, '2']]);
  assert.deepEqual(kinds([ev('start', T0), ev('start', T0 + 2000, '2', { source: 'xapi' })]), ['start-while-running']);
  assert.deepEqual(spans([ev('start', T0), ev('start', T0 + 2000, '4'), ev('stop', T0 + 10_000)]), [
    [0, 2000, '2'],
    [2000, 10_000, '4'],
  ]);
});

test('a resize closes one interval and opens the next at the same instant; a change while stopped does nothing', () => {
  const resized = deriveIntervals([
    ev('start', T0),
    ev('change', T0 + 60_000, '4'),
    ev('change', T0 + 70_000, '4'),
    ev('stop', T0 + 120_000),
  ]).intervals;
  assert.deepEqual(
    resized.map((i) => [i.startMs - T0, i.endMs! - T0, i.quantity]),
    [
      [0, 60_000, '2'],
      [60_000, 120_000, '4'],
    ],
  );
  assert.equal(resized[0].endMs, resized[1].startMs, 'they touch, half-open, without overlap');
  assert.deepEqual(spans([ev('change', T0, '8'), ev('start', T0 + 1000, '2'), ev('stop', T0 + 3000)]), [[1000, 3000, '2']]);
  assert.deepEqual(kinds([ev('change', T0, '8')]), []);
});

test('at one instant stop applies before start (a reboot is contiguous) and change after start', () => {
  assert.deepEqual(spans([ev('start', T0), ev('start', T0 + 5000), ev('stop', T0 + 5000), ev('stop', T0 + 9000)]), [
    [0, 5000, '2'],
    [5000, 9000, '2'],
  ]);
  assert.deepEqual(spans([ev('change', T0, '4'), ev('start', T0, '2'), ev('stop', T0 + 1000)]), [[0, 1000, '4']]);
});

test('times are floored to whole seconds; an interval empty after flooring disappears', () => {
  assert.deepEqual(spans([ev('start', T0 + 1999), ev('stop', T0 + 4001)]), [[1000, 4000, '2']]);
  assert.deepEqual(spans([ev('start', T0 + 100), ev('stop', T0 + 900)]), []);
  assert.deepEqual(spans([ev('start', T0 + 100), ev('change', T0 + 900, '4'), ev('stop', T0 + 3000)]), [[0, 3000, '4']]);
});

test('same natural key with other content: the canonical-first copy wins, in any order, and is reported', () => {
  const a = ev('start', T0, '2', { sourceKey: 'dup' });
  const b = { ...a, quantity: '4' };
  const stop = ev('stop', T0 + 10_000);
  assert.deepEqual(spans([a, b, stop]), spans([b, stop, a]));
  assert.deepEqual(spans([b, stop, a]), [[0, 10_000, '2']]);
  assert.deepEqual(kinds([b, a, stop, a]), ['conflicting-duplicate']);
  assert.deepEqual(kinds([a, { ...a, quantity: '2.00' }]), [], '2 and 2.00 are the same content');
});

test('invalid events are skipped and reported, never half-applied', () => {
  const bad: UsageEvent[] = [
    ev('start', T0, '1e3'),
    ev('start', T0, 'NaN'),
    ev('start', T0, '0'),
    ev('start', -1),
    ev('start', T0 + 0.5),
    ev('start', T0, '1', { sku: 'gpu-hour' as never }),
    ev('start', T0, '1', { kind: 'pause' as never }),
    ev('start', T0, '2', { sku: 'vm-hour' }),
    ev('start', T0, '0.00000000001'),
    ev('start', T0, '2', { tenantId: '' }),
  ];
  for (const e of bad) assert.notDeepEqual(validateUsageEvent(e), [], JSON.stringify(e));
  const { intervals, anomalies } = deriveIntervals(bad);
  assert.deepEqual(intervals, []);
  assert.equal(anomalies.length, bad.length);
  assert.ok(anomalies.every((a) => a.kind === 'invalid-event'));
  assert.deepEqual(validateUsageEvent(ev('start', T0, mibToGib(3000))), []);
  assert.deepEqual(validateUsageEvent(ev('stop', T0, '0')), [], 'a stop needs no size');
});

test('an event naming another tenant or pool leaves the interval as opened, and is reported', () => {
  const events = [ev('start', T0), ev('change', T0 + 1000, '4', { tenantId: 't2' }), ev('stop', T0 + 2000)];
  assert.deepEqual(
    deriveIntervals(events).intervals.map((i) => i.tenantId),
    ['t1', 't1'],
  );
  assert.deepEqual(kinds(events), ['attribute-mismatch']);
});

test('mibToGib is exact for every whole MiB', () => {
  assert.equal(mibToGib(512), '0.5');
  assert.equal(mibToGib(3000), '2.9296875');
  assert.equal(mibToGib(1), '0.0009765625');
  assert.throws(() => mibToGib(1.5), RangeError);
});

const arbEvent = fc.record({
  source: fc.constantFrom('control-plane', 'xapi'),
  sourceKey: fc.integer({ min: 0, max: 30 }).map((n) => `k${n}`),
  resourceId: fc.constantFrom('vm-1', 'vm-2'),
  tenantId: fc.constant('t1'),
  regionId: fc.constant('pool-1'),
  sku: fc.constantFrom('vcpu-hour', 'memory-gib-hour'),
  kind: fc.constantFrom<UsageEventKind>('start', 'stop', 'change'),
  quantity: fc.constantFrom('1', '2', '2.0', '0.5'),
  occurredAtMs: fc.integer({ min: T0, max: T0 + 3 * 3_600_000 }),
});

test('intervals depend only on the set of events: shuffled and replayed logs give identical output', () => {
  fc.assert(
    fc.property(fc.array(arbEvent, { maxLength: 40 }), fc.integer(), (events, seed) => {
      assert.deepEqual(deriveIntervals(shuffleWithDuplicates(events, seed, 0.5)), deriveIntervals(events));
    }),
  );
});

test('intervals of one resource and SKU never overlap and are never empty', () => {
  fc.assert(
    fc.property(fc.array(arbEvent, { maxLength: 40 }), (events) => {
      const ivs = deriveIntervals(events).intervals;
      for (let i = 0; i < ivs.length; i += 1) {
        const a = ivs[i];
        assert.ok(a.endMs === null || a.endMs > a.startMs);
        assert.ok(a.startMs % 1000 === 0 && (a.endMs ?? 0) % 1000 === 0);
        const b = ivs[i + 1];
        if (b && b.resourceId === a.resourceId && b.sku === a.sku) assert.ok(a.endMs !== null && a.endMs <= b.startMs);
      }
    }),
  );
});
