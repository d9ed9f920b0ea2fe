import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { nextBillingPeriod, parseBillingPeriod } from './billing-period.js';
import { computeCorrections } from './corrections.js';
import { addDecimals, compareDecimals, decimalFromInteger, parseDecimal } from './decimal.js';
import { checkFocusCsv } from './focus-conformance.js';
import { buildFocusRow, compareForExport } from './focus-row.js';
import { FOCUS_COLUMN_NAMES } from './focus-columns.js';
import { toCsv } from './csv-codec.js';
import { HOUR_MS, meterWindow, usageRecordKey, type UsageRecord } from './hourly-split.js';
import { rateRecords, type RatedRecord } from './rating.js';
import { fixturePrices } from './testing/month-fixture.js';
import type { UsageEvent, UsageEventKind } from './usage-events.js';

const june = parseBillingPeriod('2026-06');
const window = { fromMs: june.startMs, toMs: june.endMs };
const prices = fixturePrices(june);
const ev = (key: string, kind: UsageEventKind, atMs: number, resourceId = 'vm-1', quantity = '2'): UsageEvent => ({
  source: 'control-plane',
  sourceKey: key,
  resourceId,
  tenantId: 't1',
  regionId: 'pool-1',
  sku: 'vcpu-hour',
  kind,
  quantity,
  occurredAtMs: atMs,
});
const log = [ev('a', 'start', june.startMs - HOUR_MS), ev('b', 'change', june.startMs + 12 * 24 * HOUR_MS + 1234, 'vm-1', '4')];

function exportFile(rows: RatedRecord[], periodLabel: string): string {
  const period = parseBillingPeriod(periodLabel);
  const sorted = [...rows].sort(compareForExport);
  return toCsv(
    FOCUS_COLUMN_NAMES,
    sorted.map((record) =>
      buildFocusRow({ record, period, tenantName: 'tenant-1', regionName: 'Pool 1', resourceName: 'vm-one' }, { name: 'Xenplane Cloud' }),
    ),
  );
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

test('P5: a late event before close changes only the rows of its own hour', () => {
  const before = meterWindow(log, window).records;
  const h = june.startMs + 20 * 24 * HOUR_MS + 5 * HOUR_MS;
  const late = [ev('late-1', 'start', h + 600_000, 'vm-2'), ev('late-2', 'stop', h + 900_000, 'vm-2')];
  const after = meterWindow([...log, ...late], window).records;
  const key = (r: UsageRecord): string => JSON.stringify(r);
  const added = after.filter((r) => !before.map(key).includes(key(r)));
  assert.deepEqual(
    added.map((r) => [r.resourceId, r.hourStartMs, r.seconds]),
    [['vm-2', h, 300]],
  );
  assert.equal(after.length, before.length + 1);
});

test('P5: after close, a late event yields only Correction rows in the next period; the closed file is untouched', () => {
  const frozen = rateRecords(meterWindow(log, window).records, prices);
  const closedFile = exportFile(frozen, '2026-06');
  const closedHash = sha(closedFile);
  // XAPI reports, late, that the VM actually stopped on June 20 at 08:30:15.
  const stopAt = june.startMs + 19 * 24 * HOUR_MS + 8 * HOUR_MS + 915_000;
  const recomputed = meterWindow([...log, ev('late-stop', 'stop', stopAt)], window).records;
  const corrections = computeCorrections(frozen, recomputed, prices);

  assert.ok(corrections.length > 0 && corrections.every((r) => r.correction));
  assert.ok(
    corrections.every((r) => r.hourStartMs >= stopAt - (stopAt % HOUR_MS)),
    'only hours after the stop change',
  );
  assert.ok(
    corrections.every((r) => r.cost.startsWith('-')),
    'the VM was billed too much',
  );
  // Billed + corrections = what a fresh computation bills, key by key, to the last digit.
  const fresh = new Map(rateRecords(recomputed, prices).map((r) => [usageRecordKey(r), r]));
  const billed = new Map<string, { cost: ReturnType<typeof parseDecimal>; seconds: number }>();
  for (const r of [...frozen, ...corrections]) {
    const b = billed.get(usageRecordKey(r)) ?? { cost: decimalFromInteger(0), seconds: 0 };
    billed.set(usageRecordKey(r), { cost: addDecimals(b.cost, parseDecimal(r.cost)), seconds: b.seconds + r.seconds });
  }
  for (const [key, b] of billed) {
    const f = fresh.get(key);
    assert.equal(compareDecimals(b.cost, parseDecimal(f?.cost ?? '0')), 0, key);
    assert.equal(b.seconds, f?.seconds ?? 0, key);
  }
  const nextFile = exportFile(corrections, nextBillingPeriod(june).label);
  assert.deepEqual(checkFocusCsv(nextFile), []);
  assert.ok(
    nextFile
      .split('\n')
      .slice(1, -1)
      .every((line) => line.includes(',Correction,')),
  );
  assert.equal(sha(exportFile(frozen, '2026-06')), closedHash);
  assert.equal(computeCorrections([...frozen, ...corrections], recomputed, prices).length, 0, 'a second run corrects nothing more');
});

test('usage first seen in a closed hour is priced with the version in force then; unchanged usage yields nothing', () => {
  const frozen = rateRecords(meterWindow(log, window).records, prices);
  assert.deepEqual(computeCorrections(frozen, meterWindow(log, window).records, prices), []);
  const h = june.endMs - 3 * HOUR_MS;
  const late = meterWindow([...log, ev('x', 'start', h, 'vm-3'), ev('y', 'stop', h + 60_000, 'vm-3')], window).records;
  const rows = computeCorrections(frozen, late, prices);
  assert.deepEqual(
    rows.map((r) => [r.resourceId, r.seconds, r.priceVersionId, r.pricingQuantity]),
    [['vm-3', 60, 'v2', '0.033333']],
  );
});

test('a key billed with two price versions is refused: corrections must not mix prices', () => {
  const frozen = rateRecords(meterWindow(log, window).records, prices);
  const tampered = { ...frozen[0], priceVersionId: 'v2', unitPrice: '0.009000', correction: true };
  assert.throws(() => computeCorrections([frozen[0], tampered], [], prices), RangeError);
});
