import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBillingPeriod } from './billing-period.js';
import { toCsv, type Cell } from './csv-codec.js';
import { checkFocusCsv, checkFocusRows } from './focus-conformance.js';
import { FOCUS_COLUMN_NAMES } from './focus-columns.js';
import { buildFocusRow, compareForExport } from './focus-row.js';
import { HOUR_MS } from './hourly-split.js';
import { rateRecord, type RatedRecord } from './rating.js';
import { fixturePrices } from './testing/month-fixture.js';

const period = parseBillingPeriod('2026-06');
const H = period.startMs + 10 * HOUR_MS;
const record = (sku: RatedRecord['sku'], hour = H, tenantId = 't-1', seconds = 1234, size = 2): RatedRecord =>
  rateRecord(
    {
      tenantId,
      regionId: 'pool-1',
      resourceId: `res-${sku}`,
      sku,
      hourStartMs: hour,
      seconds,
      consumedQuantity: `${seconds * (sku.endsWith('gib-hour') || sku === 'vcpu-hour' ? size : 1)}.0000000000`,
    },
    fixturePrices(period),
  );
const row = (r: RatedRecord, p = period): Cell[] =>
  buildFocusRow(
    { record: r, period: p, tenantName: 'Tenant One', regionName: 'Pool 1', resourceName: 'web-1', tags: { 'cp/flavor': 'small', env: 'prod' } },
    { name: 'Xenplane Cloud' },
  );
const base = row(record('vcpu-hour'));
const col = (name: string): number => FOCUS_COLUMN_NAMES.indexOf(name);
const rulesOf = (header: readonly string[], rows: Cell[][]): string[] => checkFocusRows(header, rows).map((v) => v.rule);
function mutated(changes: Record<string, Cell>, from: Cell[] = base): Cell[] {
  const r = [...from];
  for (const [name, value] of Object.entries(changes)) r[col(name)] = value;
  return r;
}

test('the baseline rows are valid, so each negative case below fails for its own reason', () => {
  const records = (['vm-hour', 'vcpu-hour', 'memory-gib-hour', 'disk-gib-hour', 'network-hour'] as const).map((s) => record(s));
  const rows = records.sort(compareForExport).map((r) => row(r));
  assert.deepEqual(checkFocusRows(FOCUS_COLUMN_NAMES, rows), []);
  assert.deepEqual(checkFocusCsv(toCsv(FOCUS_COLUMN_NAMES, [base])), []);
});

const rowCases: [string, Record<string, Cell>][] = [
  ['BilledCost-C-003-M', { BilledCost: null }],
  ['BilledCost-C-002-M', { BilledCost: '1,5' }],
  ['NullHandling-A-002-M', { ResourceName: '' }],
  ['NullHandling-A-002-M', { ChargeDescription: '   ' }],
  ['ChargePeriodStart-C-002-M', { ChargePeriodStart: '2026-06-01 10:00:00' }],
  ['BillingPeriodEnd-C-002-M', { BillingPeriodEnd: '2026-02-30T00:00:00Z' }],
  ['ChargePeriodEnd-C-002-M', { ChargePeriodEnd: '2026-06-01T11:00:00+00:00' }],
  ['ChargeCategory-C-003-M', { ChargeCategory: 'Usages' }],
  ['ChargeClass-C-005-C', { ChargeClass: 'Refund' }],
  ['ChargeFrequency-C-003-M', { ChargeFrequency: 'Hourly' }],
  ['ChargeFrequency-C-004-C', { ChargeCategory: 'Purchase' }],
  ['ServiceCategory-C-003-M', { ServiceCategory: 'Compute Stuff' }],
  ['ServiceSubcategory-C-003-M', { ServiceSubcategory: 'Virtual Servers' }],
  ['ServiceSubcategory-C-004-M', { ServiceSubcategory: 'Block Storage' }],
  ['ListUnitPrice-C-005-C', { ListUnitPrice: null }],
  ['ListUnitPrice-C-004-C', { ChargeCategory: 'Tax' }],
  ['ListUnitPrice-C-008-M', { ListUnitPrice: '-0.010000' }],
  [
    'ListCost-C-009-C',
    { ListCost: '0.006855000001', BilledCost: '0.006855000001', ContractedCost: '0.006855000001', EffectiveCost: '0.006855000001' },
  ],
  ['XP-CORRECTION-PRODUCT', { ChargeClass: 'Correction', ListCost: '1.000000000000' }],
  ['PricingQuantity-C-005-C', { PricingQuantity: null }],
  ['PricingUnit-C-006-C', { PricingUnit: null }],
  ['PricingUnit-C-005-C', { PricingQuantity: null, ChargeClass: 'Correction' }],
  ['PricingUnit-C-003-O', { PricingUnit: 'Core-hours' }],
  ['PricingUnit-C-008-M', { PricingUnit: 'Hours' }],
  ['ConsumedUnit-C-003-O', { ConsumedUnit: 'core-seconds' }],
  ['ConsumedQuantity-C-006-C', { ConsumedQuantity: null }],
  ['ConsumedUnit-C-005-C', { ConsumedQuantity: null }],
  ['ConsumedQuantity-C-004-C', { ChargeCategory: 'Credit' }],
  ['SkuId-C-005-C', { SkuId: null }],
  ['SkuPriceId-C-005-C', { SkuPriceId: null }],
  ['SkuMeter-C-005-C', { SkuMeter: null }],
  ['SkuMeter-C-004-C', { SkuId: null }],
  ['SkuPriceDetails-C-004-C', { SkuPriceId: null }],
  ['SkuPriceDetails-C-001-M', { SkuPriceDetails: '{"CoreCount":1,"CoreCount":2}' }],
  ['SkuPriceDetails-C-001-M', { SkuPriceDetails: '[1]' }],
  ['SkuPriceDetails-C-001-M', { SkuPriceDetails: '{"CoreCount":{"n":1}}' }],
  ['SkuPriceDetails-C-017-C', { SkuPriceDetails: '{"Cores":1}' }],
  ['SkuPriceDetails-C-021-M', { SkuPriceDetails: '{"CoreCount":"1"}' }],
  ['Tags-C-001-M', { Tags: 'env=prod' }],
  ['RegionName-C-005-C', { RegionName: null }],
  ['RegionName-C-004-C', { RegionId: null }],
  ['ResourceType-C-005-C', { ResourceType: null }],
  ['ResourceType-C-004-C', { ResourceId: null }],
  ['ResourceName-C-006-C', { ResourceName: 'vm/res-vcpu-hour' }],
  ['ResourceName-C-002-M', { ResourceName: 'café-1' }],
  ['BillingCurrency-C-003-M', { BillingCurrency: 'eur' }],
  ['BillingCurrency-C-006-M', { BillingCurrency: 'XAU' }],
  ['BillingAccountId-C-001-M', { BillingAccountId: null }],
  ['BilledCost-C-005-C', { InvoiceIssuerName: 'Some Marketplace' }],
  ['EffectiveCost-C-005-C', { ChargeCategory: 'Purchase' }],
  ['ContractedCost-C-008-C', { ContractedCost: '0.000000000000' }],
  ['XP-COSTS-EQUAL', { EffectiveCost: '0.000000000000' }],
  ['XP-SCALE', { BilledCost: '0.006855' }],
  ['XP-SCALE', { PricingQuantity: '6.855E-1', ListCost: '0.006855000000' }],
  ['XP-HOURLY', { ChargePeriodEnd: '2026-06-01T12:00:00Z' }],
  ['XP-HOURLY', { ChargePeriodStart: '2026-06-01T10:30:00Z' }],
  ['XP-CHARGE-IN-PERIOD', { ChargePeriodStart: '2026-07-01T10:00:00Z', ChargePeriodEnd: '2026-07-01T11:00:00Z' }],
  ['XP-CHARGE-IN-PERIOD', { ChargeClass: 'Correction' }],
  ['XP-BILLING-MONTH', { BillingPeriodEnd: '2026-06-16T00:00:00Z' }],
  ['XP-SKU-MAPPING', { ServiceName: 'Block Storage' }],
  ['XP-SKU-MAPPING', { ResourceId: 'disk/res-vcpu-hour' }],
  ['XP-SKU-MAPPING', { SkuId: 'gpu-hour' }],
  [
    'XP-PRICING-QUANTITY',
    {
      PricingQuantity: '1.000000',
      ListCost: '0.010000000000',
      BilledCost: '0.010000000000',
      ContractedCost: '0.010000000000',
      EffectiveCost: '0.010000000000',
    },
  ],
  ['XP-PROVIDER-NAMES', { ServiceProviderName: null }],
  ['XP-PRICE-VERSION', { x_PriceVersionId: null }],
];

for (const [rule, changes] of rowCases) {
  test(`the checker catches ${rule}: ${JSON.stringify(changes)}`, () => {
    assert.ok(rulesOf(FOCUS_COLUMN_NAMES, [mutated(changes)]).includes(rule), JSON.stringify(checkFocusRows(FOCUS_COLUMN_NAMES, [mutated(changes)])));
  });
}

test('the float64 option flags exact rows that the Float64 product would reject, and only then', () => {
  const cost = '0.000003475000';
  const exactButFloaty = mutated({
    ListUnitPrice: '0.012500',
    PricingQuantity: '0.000278',
    ListCost: cost,
    BilledCost: cost,
    ContractedCost: cost,
    EffectiveCost: cost,
    ConsumedQuantity: '1.0000000000',
  });
  assert.notEqual(0.0125 * 0.000278, 0.000003475, 'premise: the Float64 product differs');
  assert.deepEqual(rulesOf(FOCUS_COLUMN_NAMES, [exactButFloaty]), []);
  assert.deepEqual(
    checkFocusRows(FOCUS_COLUMN_NAMES, [exactButFloaty], { float64Product: true }).map((v) => v.rule),
    ['ListCost-C-009-C/float64'],
  );
});

test('header rules: a missing mandatory column, another order, an unprefixed extra column, a duplicate', () => {
  const without = FOCUS_COLUMN_NAMES.filter((c) => c !== 'BilledCost');
  assert.ok(rulesOf(without, [base.filter((_, i) => i !== col('BilledCost'))]).includes('CostAndUsage-D-006-M'));
  const swapped = [...FOCUS_COLUMN_NAMES];
  [swapped[0], swapped[1]] = [swapped[1], swapped[0]];
  assert.deepEqual(rulesOf(swapped, [[base[1]!, base[0]!, ...base.slice(2)]]), ['XP-HEADER']);
  assert.ok(rulesOf([...FOCUS_COLUMN_NAMES, 'Color'], [[...base, 'red']]).includes('ColumnHandling-A-010-M'));
  assert.ok(rulesOf([...FOCUS_COLUMN_NAMES, 'Tags'], [[...base, null]]).includes('XP-HEADER'));
  assert.ok(rulesOf(FOCUS_COLUMN_NAMES, [base.slice(1)]).includes('XP-ROW-WIDTH'));
  assert.deepEqual(
    checkFocusCsv('').map((v) => v.rule),
    ['XP-HEADER'],
  );
});

test('dataset rules: total order, duplicates, one currency per account, one period per file', () => {
  const a = row(record('vcpu-hour', H));
  const b = row(record('vcpu-hour', H + HOUR_MS));
  assert.deepEqual(rulesOf(FOCUS_COLUMN_NAMES, [a, b]), []);
  assert.deepEqual(rulesOf(FOCUS_COLUMN_NAMES, [b, a]), ['XP-ORDER']);
  assert.deepEqual(rulesOf(FOCUS_COLUMN_NAMES, [a, a]), ['XP-ORDER']);
  assert.ok(rulesOf(FOCUS_COLUMN_NAMES, [a, mutated({ BillingCurrency: 'USD' }, b)]).includes('XP-CURRENCY'));
  const july = parseBillingPeriod('2026-07');
  assert.ok(rulesOf(FOCUS_COLUMN_NAMES, [a, row(record('vcpu-hour', july.startMs), july)]).includes('XP-ONE-PERIOD'));
});

test('distinct-count rules: one SkuId per SkuPriceId, one category and subcategory per ServiceName', () => {
  const a = row(record('vcpu-hour', H));
  const b = row(record('vcpu-hour', H + HOUR_MS));
  assert.ok(rulesOf(FOCUS_COLUMN_NAMES, [a, mutated({ SkuPriceId: 'vcpu-hour', SkuId: 'vm-hour' }, b)]).includes('SkuPriceId-C-008-M'));
  assert.ok(
    rulesOf(FOCUS_COLUMN_NAMES, [a, mutated({ ServiceCategory: 'Storage', ServiceSubcategory: 'Block Storage' }, b)]).includes('ServiceName-C-005-C'),
  );
  assert.ok(rulesOf(FOCUS_COLUMN_NAMES, [a, mutated({ ServiceSubcategory: 'Containers' }, b)]).includes('ServiceName-C-008-C'));
});

test('a String column a CSV loader would read as numbers breaks TypeString', () => {
  const rows = [
    mutated({ BillingAccountId: '1001' }, row(record('vcpu-hour', H, '1001'))),
    mutated({ BillingAccountId: '1002' }, row(record('vcpu-hour', H, '1002'))),
  ];
  assert.ok(rulesOf(FOCUS_COLUMN_NAMES, rows).includes('BillingAccountId-C-002-M'));
});

test('violations stop at maxViolations with a truncation marker', () => {
  const broken = mutated({ BilledCost: null, ListCost: null, EffectiveCost: null, ContractedCost: null });
  const found = checkFocusRows(FOCUS_COLUMN_NAMES, [broken], { maxViolations: 2 });
  assert.equal(found.length, 3);
  assert.equal(found[2].rule, 'XP-TRUNCATED');
  assert.equal(found[0].row, 1);
});
