import { formatFocusDateTime, type BillingPeriod } from './billing-period.js';
import { canonicalJson, compareStrings } from '@xenplane/core';
import type { Cell } from './csv-codec.js';
import { addDecimals, decimalFromInteger, formatDecimal, parseDecimal, type Decimal } from './decimal.js';
import { HOUR_MS, type UsageRecord } from './hourly-split.js';
import type { RatedRecord } from './rating.js';
import { SKU_CATALOG, type Sku } from './skus.js';
import { QUANTITY_SCALE } from './usage-events.js';

/**
 * The plain `format=csv|json` export of /v1/billing/export: our own field names (camelCase, as the API), one
 * row per rated record, decimals as exact fixed-scale strings. `format=focus` uses focus-row.ts instead.
 */
export const USAGE_EXPORT_COLUMNS = [
  'billingPeriod',
  'tenantId',
  'regionId',
  'resourceId',
  'sku',
  'chargePeriodStart',
  'chargePeriodEnd',
  'chargeClass',
  'seconds',
  'consumedQuantity',
  'consumedUnit',
  'pricingQuantity',
  'pricingUnit',
  'unitPrice',
  'cost',
  'currency',
  'priceVersionId',
] as const;

export type UsageExportRow = Record<(typeof USAGE_EXPORT_COLUMNS)[number], string | number | null>;

export function usageExportRow(record: RatedRecord, period: BillingPeriod): UsageExportRow {
  const sku = SKU_CATALOG[record.sku];
  return {
    billingPeriod: period.label,
    tenantId: record.tenantId,
    regionId: record.regionId,
    resourceId: record.resourceId,
    sku: record.sku,
    chargePeriodStart: formatFocusDateTime(record.hourStartMs),
    chargePeriodEnd: formatFocusDateTime(record.hourStartMs + HOUR_MS),
    chargeClass: record.correction ? 'Correction' : null,
    seconds: record.seconds,
    consumedQuantity: record.consumedQuantity,
    consumedUnit: sku.consumedUnit,
    pricingQuantity: record.pricingQuantity,
    pricingUnit: sku.pricingUnit,
    unitPrice: record.unitPrice,
    cost: record.cost,
    currency: record.currency,
    priceVersionId: record.priceVersionId,
  };
}

/** The row as CSV cells in USAGE_EXPORT_COLUMNS order. */
export function usageExportCells(row: UsageExportRow): Cell[] {
  return USAGE_EXPORT_COLUMNS.map((c) => {
    const v = row[c];
    return v === null ? null : String(v);
  });
}

/**
 * Streams objects as one JSON array, one canonical (sorted-key) element per line, in constant memory:
 * `[\n{…},\n{…}\n]\n`, and `[]\n` when empty.
 */
export async function* jsonArrayStream(items: Iterable<unknown> | AsyncIterable<unknown>, chunkBytes = 64 * 1024): AsyncGenerator<string> {
  let buffer = '[';
  let first = true;
  for await (const item of items) {
    buffer += `${first ? '\n' : ',\n'}${canonicalJson(item)}`;
    first = false;
    if (buffer.length >= chunkBytes) {
      yield buffer;
      buffer = '';
    }
  }
  yield `${buffer}${first ? '' : '\n'}]\n`;
}

/** Usage of one tenant and SKU over a window (GET /v1/usage). */
export interface UsageSummary {
  readonly tenantId: string;
  readonly sku: Sku;
  readonly seconds: number;
  readonly consumedQuantity: string;
  readonly consumedUnit: string;
}

/** Sums records per tenant and SKU, exactly; sorted by tenant then SKU. */
export function summarizeUsage(records: Iterable<UsageRecord>): UsageSummary[] {
  const sums = new Map<string, { tenantId: string; sku: Sku; seconds: number; consumed: Decimal }>();
  for (const r of records) {
    const key = JSON.stringify([r.tenantId, r.sku]);
    const s = sums.get(key) ?? { tenantId: r.tenantId, sku: r.sku, seconds: 0, consumed: decimalFromInteger(0) };
    s.seconds += r.seconds;
    s.consumed = addDecimals(s.consumed, parseDecimal(r.consumedQuantity));
    sums.set(key, s);
  }
  return [...sums.values()]
    .sort((a, b) => compareStrings(a.tenantId, b.tenantId) || compareStrings(a.sku, b.sku))
    .map((s) => ({
      tenantId: s.tenantId,
      sku: s.sku,
      seconds: s.seconds,
      consumedQuantity: formatDecimal(s.consumed, QUANTITY_SCALE),
      consumedUnit: SKU_CATALOG[s.sku].consumedUnit,
    }));
}
