import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CostTotals } from './cost-totals.js';
import { parseCsv } from './csv-codec.js';
import { addDecimals, compareDecimals, decimalFromInteger, parseDecimal } from './decimal.js';
import { checkFocusCsv } from './focus-conformance.js';
import { FOCUS_COLUMN_NAMES, FOCUS_COLUMNS, focusMetadata } from './focus-columns.js';
import { meterWindow } from './hourly-split.js';
import { SKUS } from './skus.js';
import { focusCsv, rateMonth } from './testing/focus-export.js';
import { generateMonth, shuffleWithDuplicates } from './testing/month-fixture.js';
import { referenceMeter } from './testing/reference-meter.js';
import { jsonArrayStream, usageExportRow } from './usage-export.js';

const fixture = generateMonth({ period: '2026-06', seed: 7, tenants: 3, vmsPerTenant: 3 });
const rated = rateMonth(fixture);
const csvPromise = focusCsv(fixture, rated);
const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

test('the generated month exercises what the conformance test claims to cover', () => {
  assert.deepEqual(new Set(rated.map((r) => r.sku)), new Set(SKUS), 'all five SKUs');
  assert.equal(new Set(rated.map((r) => r.tenantId)).size, 3, 'several tenants');
  assert.deepEqual(new Set(rated.map((r) => r.priceVersionId)), new Set(['v1', 'v2']), 'a price change mid-month');
  assert.ok(
    rated.some((r) => r.seconds < 3600),
    'partial hours (start/stop churn)',
  );
  assert.ok(
    rated.some((r) => r.sku === 'memory-gib-hour' && !r.consumedQuantity.endsWith('.0000000000')),
    'fractional GiB-seconds',
  );
  const kinds = new Set(fixture.events.map((e) => e.kind));
  assert.deepEqual(kinds, new Set(['start', 'stop', 'change']), 'start/stop/resize/delete churn');
  assert.ok(
    fixture.events.some((e) => e.source === 'xapi'),
    'two sources reporting the same transitions',
  );
});

test('FOCUS conformance: every §3.2–§3.3 rule holds on every row of the exported month', async () => {
  const csv = await csvPromise;
  const rows = parseCsv(csv);
  assert.deepEqual(rows[0], [...FOCUS_COLUMN_NAMES]);
  assert.equal(rows.length - 1, rated.length);
  assert.deepEqual(checkFocusCsv(csv), []);
});

test('P1 on the month: the records of a day around the price change equal a naive per-second replay', () => {
  const from = fixture.period.startMs + 14 * 86_400_000;
  const { records } = meterWindow(fixture.events, { fromMs: from, toMs: from + 86_400_000 });
  const expected = referenceMeter(fixture.events, from, from + 86_400_000);
  assert.equal(records.length, expected.size);
  for (const r of records) {
    const e = expected.get(JSON.stringify([r.tenantId, r.regionId, r.resourceId, r.sku, r.hourStartMs]));
    assert.deepEqual({ seconds: r.seconds, consumed: r.consumedQuantity }, e);
  }
});

test('P3/P6: a shuffled, duplicated replay of the log exports byte-identical FOCUS, CSV and JSON', async () => {
  const again = rateMonth(fixture, shuffleWithDuplicates(fixture.events, 99, 0.5));
  assert.equal(sha(await focusCsv(fixture, again)), sha(await csvPromise));
  const json = async (rows: typeof rated): Promise<string> => {
    let out = '';
    for await (const c of jsonArrayStream(rows.map((r) => usageExportRow(r, fixture.period)))) out += c;
    return out;
  };
  assert.equal(sha(await json(again)), sha(await json(rated)));
});

test('P6: the file is LF-only with fixed-scale decimals, sorted JSON cells and stable metadata', async () => {
  const csv = await csvPromise;
  assert.ok(!csv.includes('\r') && csv.endsWith('\n'));
  const rows = parseCsv(csv).slice(1);
  const decimals = FOCUS_COLUMNS.map((c, i) => [c, i] as const).filter(([c]) => c.dataType === 'DECIMAL');
  for (const row of rows) {
    for (const [c, i] of decimals) assert.match(row[i]!, new RegExp(`^-?\\d+\\.\\d{${c.numberScale}}$`), c.name);
  }
  const tags = rows.map((r) => r[FOCUS_COLUMN_NAMES.indexOf('Tags')]).find((t) => t);
  assert.equal(tags, JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(tags!) as object).sort())));
  const meta = focusMetadata({ creationDateMs: fixture.period.endMs + 3_600_000, dataGenerator: 'xenplane' });
  assert.deepEqual(meta, focusMetadata({ creationDateMs: fixture.period.endMs + 3_600_000, dataGenerator: 'xenplane' }));
  assert.equal(meta.FocusVersion, '1.2');
  assert.equal(meta.CreationDate, '2026-07-01T01:00:00Z');
  assert.match(String(meta.SchemaId), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal((meta.ColumnDefinition as unknown[]).length, FOCUS_COLUMNS.length);
});

test('P7: Σ BilledCost per account in the file equals the invoice total, and accounts add up to the period', async () => {
  const rows = parseCsv(await csvPromise);
  const [header, ...data] = rows;
  const account = header.indexOf('BillingAccountId');
  const billed = header.indexOf('BilledCost');
  const fromFile = new Map<string, ReturnType<typeof parseDecimal>>();
  for (const r of data) fromFile.set(r[account]!, addDecimals(fromFile.get(r[account]!) ?? decimalFromInteger(0), parseDecimal(r[billed]!)));
  const totals = new CostTotals();
  for (const r of rated) totals.add(r);
  for (const [tenantId, t] of totals.byTenant()) assert.equal(compareDecimals(parseDecimal(t.exact), fromFile.get(tenantId)!), 0);
  const all = [...fromFile.values()].reduce(addDecimals, decimalFromInteger(0));
  assert.equal(compareDecimals(parseDecimal(totals.overall()!.exact), all), 0);
  assert.match(totals.overall()!.rounded, /^\d+\.\d{2}$/);
});

test('the official validator compares the product in Float64: measure how many exact rows it would flag', async (t) => {
  const violations = checkFocusCsv(await csvPromise, { float64Product: true, maxViolations: 1_000_000 });
  assert.ok(violations.every((v) => v.rule === 'ListCost-C-009-C/float64'));
  t.diagnostic(`${violations.length} of ${rated.length} rows (${rated.filter((r) => r.seconds < 3600).length} partial hours) differ only in Float64`);
});
