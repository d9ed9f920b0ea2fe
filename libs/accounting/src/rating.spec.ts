import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CostTotals, roundMoney } from './cost-totals.js';
import { compareDecimals, decimalFromInteger, formatDecimal, multiplyDecimals, parseDecimal, subtractDecimals, sumDecimals } from './decimal.js';
import { HOUR_MS, type UsageRecord } from './hourly-split.js';
import {
  MissingPriceError,
  priceVersionAt,
  pricingQuantityOf,
  rateRecord,
  rateRecords,
  validatePriceHistory,
  validatePriceListVersion,
  type PriceListVersion,
} from './rating.js';

const H = Date.UTC(2026, 5, 15, 12);
const v = (versionId: string, effectiveFromMs: number, vmPrice: string, currency = 'EUR'): PriceListVersion => ({
  versionId,
  effectiveFromMs,
  currency,
  items: [
    { sku: 'vm-hour', unitPrice: vmPrice, unit: 'Hours' },
    { sku: 'vcpu-hour', unitPrice: '0.01', unit: 'Core-Hours' },
  ],
});
const versions = [v('v2', H + 1_800_000, '0.015'), v('v1', 0, '0.0125'), v('v3', H + 2 * HOUR_MS, '0.02')];
const rec = (hourStartMs: number, seconds: number, sku: UsageRecord['sku'] = 'vm-hour', size = 1, tenantId = 't1'): UsageRecord => ({
  tenantId,
  regionId: 'p',
  resourceId: 'vm-1',
  sku,
  hourStartMs,
  seconds,
  consumedQuantity: formatDecimal(decimalFromInteger(seconds * size), 10),
});

test('the version in force is the one with the greatest effectiveFrom at or before the hour start', () => {
  assert.equal(priceVersionAt(versions, H)?.versionId, 'v1', 'v2 starts mid-hour: the hour keeps v1');
  assert.equal(priceVersionAt(versions, H + HOUR_MS)?.versionId, 'v2');
  assert.equal(priceVersionAt(versions, H + 2 * HOUR_MS)?.versionId, 'v3', 'exactly at effectiveFrom');
  assert.equal(priceVersionAt([v('late', H, '1')], H - HOUR_MS), undefined);
  assert.equal(rateRecord(rec(H + HOUR_MS, 3600), versions).priceVersionId, 'v2');
});

test('a full hour prices exactly; a partial hour rounds only PricingQuantity, and cost = price × quantity exactly', () => {
  const full = rateRecord(rec(H, 3600), versions);
  assert.deepEqual([full.unitPrice, full.pricingQuantity, full.cost, full.currency], ['0.012500', '1.000000', '0.012500000000', 'EUR']);
  const second = rateRecord(rec(H, 1), versions);
  assert.deepEqual([second.pricingQuantity, second.cost], ['0.000278', '0.000003475000']);
  const cores = rateRecord(rec(H, 1800, 'vcpu-hour', 4), versions);
  assert.deepEqual([cores.pricingQuantity, cores.cost], ['2.000000', '0.020000000000']);
  assert.equal(pricingQuantityOf('1.0000000000'), '0.000278');
});

test('no version in force, or no item for the SKU, is an error rather than a free hour', () => {
  assert.throws(() => rateRecord(rec(H, 60), [v('late', H + HOUR_MS, '1')]), MissingPriceError);
  assert.throws(() => rateRecord(rec(H, 60, 'disk-gib-hour', 10), versions), MissingPriceError);
});

test('price lists are validated: currency, unit, places, sign, duplicates, one currency over time', () => {
  assert.deepEqual(validatePriceListVersion(versions[0]), []);
  const bad: PriceListVersion = {
    versionId: '',
    effectiveFromMs: -1,
    currency: 'XAU',
    items: [
      { sku: 'vm-hour', unitPrice: '0.0000001', unit: 'Hours' },
      { sku: 'vm-hour', unitPrice: '-1', unit: 'Hours' },
      { sku: 'vcpu-hour', unitPrice: '1e-3', unit: 'Hours' },
      { sku: 'gpu-hour' as never, unitPrice: '1', unit: 'Hours' },
    ],
  };
  assert.equal(validatePriceListVersion(bad).length, 9);
  assert.deepEqual(validatePriceHistory(versions), []);
  assert.equal(validatePriceHistory([...versions, v('v1', 5, '1', 'USD'), v('v4', 0, '1')]).length, 3);
});

test('PricingQuantity is within 0.5e-6 of the exact hours and the cost product is exact, for any size and price', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3600 }),
      fc.constantFrom('1', '4', '0.5', '2.9296875', '250'),
      fc.integer({ min: 0, max: 10 ** 6 }),
      (s, size, priceUnits) => {
        const version: PriceListVersion = {
          ...versions[1],
          items: [{ sku: 'vcpu-hour', unitPrice: formatDecimal({ units: BigInt(priceUnits), scale: 6 }, 6), unit: 'Core-Hours' }],
        };
        const consumed = formatDecimal(multiplyDecimals(decimalFromInteger(s), parseDecimal(size)), 10);
        const r = rateRecord({ ...rec(H, s, 'vcpu-hour'), consumedQuantity: consumed }, [version]);
        assert.equal(compareDecimals(multiplyDecimals(parseDecimal(r.unitPrice), parseDecimal(r.pricingQuantity)), parseDecimal(r.cost)), 0);
        // |q × 3600 − consumed| ≤ 0.5e-6 × 3600
        const err = subtractDecimals(multiplyDecimals(parseDecimal(r.pricingQuantity), decimalFromInteger(3600)), parseDecimal(consumed));
        assert.ok(compareDecimals({ units: err.units < 0n ? -err.units : err.units, scale: err.scale }, parseDecimal('0.0018')) <= 0);
      },
    ),
  );
});

test('P7: totals are the exact sum of row costs per tenant and overall, rounded once at the end', () => {
  const rows = rateRecords(
    [rec(H, 1), rec(H + HOUR_MS, 3599), rec(H, 1234, 'vcpu-hour', 3, 't2'), rec(H + 2 * HOUR_MS, 17, 'vm-hour', 1, 't2')],
    versions,
  );
  const totals = new CostTotals();
  for (const r of rows) totals.add(r);
  for (const [tenantId, t] of totals.byTenant()) {
    const exact = sumDecimals(rows.filter((r) => r.tenantId === tenantId).map((r) => parseDecimal(r.cost)));
    assert.equal(compareDecimals(parseDecimal(t.exact), exact), 0);
    assert.equal(t.rounded, roundMoney(t.exact, 'EUR'));
  }
  const overall = totals.overall()!;
  assert.equal(compareDecimals(parseDecimal(overall.exact), sumDecimals(totals.byTenant().map(([, t]) => parseDecimal(t.exact)))), 0);
  assert.equal(overall.rows, 4);
  assert.equal(totals.tenant('nobody'), undefined);
  assert.throws(() => totals.add({ tenantId: 't1', currency: 'USD', cost: '1' }), RangeError);
});

test('money rounds half-even to the currency minor unit', () => {
  assert.equal(roundMoney('0.125000000000', 'EUR'), '0.12');
  assert.equal(roundMoney('0.135000000000', 'USD'), '0.14');
  assert.equal(roundMoney('1234.5', 'JPY'), '1234');
  assert.equal(roundMoney('0.0005', 'KWD'), '0.000');
  assert.equal(roundMoney('-0.015', 'EUR'), '-0.02');
  assert.throws(() => roundMoney('1', 'XXX'), RangeError);
});
