import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseBillingPeriod } from './billing-period.js';
import { canonicalJson } from '@xenplane/core';
import { aggregateHourly, HOUR_MS, meterWindow, splitHourly, type UsageRecord } from './hourly-split.js';
import { deriveIntervals, type UsageInterval } from './intervals.js';
import { referenceMeter } from './testing/reference-meter.js';
import { shuffleWithDuplicates } from './testing/month-fixture.js';
import type { UsageEvent, UsageEventKind } from './usage-events.js';

const vm = (kind: UsageEventKind, atMs: number, key: string, quantity = '1', sku: UsageEvent['sku'] = 'vm-hour'): UsageEvent => ({
  source: 'control-plane',
  sourceKey: key,
  resourceId: 'vm-1',
  tenantId: 't1',
  regionId: 'pool-1',
  sku,
  kind,
  quantity,
  occurredAtMs: atMs,
});

function wholeMonth(label: string, startMs: number, stopMs?: number): UsageRecord[] {
  const p = parseBillingPeriod(label);
  const events = [vm('start', startMs, 'a'), ...(stopMs === undefined ? [] : [vm('stop', stopMs, 'b')])];
  return meterWindow(events, { fromMs: p.startMs, toMs: p.endMs }).records;
}

function assertTiles(records: UsageRecord[], fromMs: number, hours: number): void {
  assert.equal(records.length, hours);
  records.forEach((r, i) => {
    assert.equal(r.hourStartMs, fromMs + i * HOUR_MS, 'consecutive hours, no gap');
    assert.equal(r.seconds, 3600);
  });
  assert.equal(
    records.reduce((s, r) => s + r.seconds, 0),
    hours * 3600,
  );
}

test('P2: a VM running all of a 30-day month bills exactly 720 hours; 31 days 744; leap February 696', () => {
  const june = parseBillingPeriod('2026-06');
  assertTiles(wholeMonth('2026-06', Date.UTC(2026, 4, 20, 7, 13, 5, 250)), june.startMs, 720);
  const july = parseBillingPeriod('2026-07');
  assertTiles(wholeMonth('2026-07', Date.UTC(2026, 4, 20)), july.startMs, 744);
  const feb = parseBillingPeriod('2028-02');
  assertTiles(wholeMonth('2028-02', feb.startMs, feb.endMs), feb.startMs, 696);
  assertTiles(wholeMonth('2026-06', june.startMs, june.endMs), june.startMs, 720);
});

test('P2: an interval across a month boundary splits into the two months with no second lost or doubled', () => {
  const start = Date.UTC(2026, 5, 30, 22, 30);
  const stop = Date.UTC(2026, 6, 1, 1, 15, 0, 999);
  const events = [vm('start', start, 'a'), vm('stop', stop, 'b')];
  const june = meterWindow(events, { fromMs: parseBillingPeriod('2026-06').startMs, toMs: parseBillingPeriod('2026-06').endMs }).records;
  const july = meterWindow(events, { fromMs: parseBillingPeriod('2026-07').startMs, toMs: parseBillingPeriod('2026-07').endMs }).records;
  assert.deepEqual(
    june.map((r) => r.seconds),
    [1800, 3600],
  );
  assert.deepEqual(
    july.map((r) => r.seconds),
    [3600, 900],
  );
  assert.equal(
    [...june, ...july].reduce((s, r) => s + r.seconds, 0),
    (Date.UTC(2026, 6, 1, 1, 15) - start) / 1000,
  );
});

test('sub-second times are floored first: 23:59:59.999 bills the last second of the day', () => {
  const day = Date.UTC(2026, 5, 2);
  const records = meterWindow([vm('start', day - 1, 'a'), vm('stop', day + 1500, 'b')], { fromMs: day - HOUR_MS, toMs: day + HOUR_MS }).records;
  assert.deepEqual(
    records.map((r) => [r.hourStartMs - day, r.seconds]),
    [
      [-HOUR_MS, 1],
      [0, 1],
    ],
  );
});

test('a mid-hour resize stays one row per hour, with seconds × size summed exactly', () => {
  const h = Date.UTC(2026, 5, 3, 9);
  const events = [
    vm('start', h + 600_000, 'a', '2', 'vcpu-hour'),
    vm('change', h + 1_800_000, 'b', '0.5', 'vcpu-hour'),
    vm('stop', h + 7_200_000, 'c', '0', 'vcpu-hour'),
  ];
  const records = meterWindow(events, { fromMs: h, toMs: h + 3 * HOUR_MS }).records;
  assert.deepEqual(
    records.map((r) => [r.seconds, r.consumedQuantity]),
    [
      [3000, '3300.0000000000'],
      [3600, '1800.0000000000'],
    ],
  );
});

test('windows must sit on whole hours; overlapping intervals cannot produce more than 3600 s an hour', () => {
  assert.throws(() => splitHourly([], { fromMs: 1, toMs: HOUR_MS }), RangeError);
  assert.throws(() => splitHourly([], { fromMs: HOUR_MS, toMs: HOUR_MS }), RangeError);
  const iv: UsageInterval = { resourceId: 'r', sku: 'vm-hour', tenantId: 't', regionId: 'p', quantity: '1', startMs: 0, endMs: 2_000_000 };
  assert.throws(
    () => aggregateHourly(splitHourly([iv, { ...iv, startMs: 1_000_000, endMs: 3_000_000 }], { fromMs: 0, toMs: HOUR_MS })),
    /overlapping/,
  );
});

const W0 = Date.UTC(2026, 5, 30, 22);
const W = { fromMs: W0, toMs: W0 + 3 * HOUR_MS }; // crosses a day and a month boundary
const arbEvent = fc
  .record({
    source: fc.constantFrom('control-plane', 'xapi'),
    sourceKey: fc.integer({ min: 0, max: 25 }).map((n) => `k${n}`),
    resourceId: fc.constantFrom('vm-1', 'vm-2'),
    tenantId: fc.constantFrom('t1', 't1', 't1', 't2'),
    regionId: fc.constant('pool-1'),
    sku: fc.constantFrom('vm-hour', 'vcpu-hour', 'memory-gib-hour'),
    kind: fc.constantFrom<UsageEventKind>('start', 'stop', 'change'),
    quantity: fc.constantFrom('2', '0.5', '2.00', '0.0009765625'),
    occurredAtMs: fc.oneof(fc.integer({ min: W0 - 2 * HOUR_MS, max: W.toMs + HOUR_MS }), fc.constantFrom(W0, W0 + HOUR_MS, W0 + 2 * HOUR_MS - 1)),
  })
  .map((e) => (e.sku === 'vm-hour' ? { ...e, quantity: '1' } : e));

test('P1: hourly records equal a naive second-by-second replay of the raw events, exactly', () => {
  fc.assert(
    fc.property(fc.array(arbEvent, { maxLength: 30 }), (events) => {
      const { records } = meterWindow(events, W);
      const expected = referenceMeter(events, W.fromMs, W.toMs);
      const actual = new Map(
        records.map((r) => [
          canonicalJson([r.tenantId, r.regionId, r.resourceId, r.sku, r.hourStartMs]),
          { seconds: r.seconds, consumed: r.consumedQuantity },
        ]),
      );
      assert.deepEqual(actual, expected);
      for (const r of records) assert.ok(r.seconds > 0 && r.seconds <= 3600);
    }),
    { numRuns: 150 },
  );
});

test('P1: interval seconds are conserved by the split (Σ slices = clipped interval length)', () => {
  fc.assert(
    fc.property(fc.array(arbEvent, { maxLength: 30 }), (events) => {
      const { intervals } = deriveIntervals(events);
      const clipped = intervals.reduce((s, i) => s + Math.max(0, Math.min(i.endMs ?? W.toMs, W.toMs) - Math.max(i.startMs, W.fromMs)) / 1000, 0);
      assert.equal(
        splitHourly(intervals, W).reduce((s, x) => s + x.seconds, 0),
        clipped,
      );
    }),
  );
});

test('P3: replaying the log shuffled and with duplicates leaves every record byte-identical', () => {
  fc.assert(
    fc.property(fc.array(arbEvent, { maxLength: 30 }), fc.integer(), (events, seed) => {
      const once = canonicalJson(meterWindow(events, W));
      assert.equal(canonicalJson(meterWindow(shuffleWithDuplicates(events, seed, 0.7), W)), once);
    }),
  );
});
