import { isNationalCurrency } from './currency.js';
import { divideHalfEven, formatDecimal, isPlainDecimal, multiplyDecimals, parseDecimal } from './decimal.js';
import { SECONDS_PER_HOUR, type UsageRecord } from './hourly-split.js';
import { isSku, SKU_CATALOG, SKUS, type Sku } from './skus.js';

/**
 * Quantity representation (why `ListUnitPrice × PricingQuantity = ListCost` holds exactly on every row):
 * prices are per hour-unit (Hours, Core-Hours, GiB-Hours), but seconds/3600 is rarely a finite decimal
 * (1 s = 0.000277…). So the exact measure travels as ConsumedQuantity (seconds × size, no rounding), and the
 * priced quantity is `PricingQuantity = round_half_even(ConsumedQuantity / 3600, 6)` (accounting.md §3.4):
 * the only rounding in rating, at most 0.5e-6 unit per row, and only on partial hours. The cost is then the
 * exact product of two finite decimals, `unitPrice (≤ 6 places) × PricingQuantity (6 places)`, kept at 12
 * places (numeric(38,12)) with no per-row rounding; money is rounded only on totals (cost-totals.ts).
 */
export const PRICE_SCALE = 6;
export const PRICING_QUANTITY_SCALE = 6;
export const COST_SCALE = PRICE_SCALE + PRICING_QUANTITY_SCALE;

/** One line of a price list (API.md PUT /v1/prices): `unit` must be the SKU's PricingUnit. */
export interface PriceItem {
  readonly sku: Sku;
  /** Price per PricingUnit, non-negative, at most PRICE_SCALE places. */
  readonly unitPrice: string;
  readonly unit: string;
}

/** A price list version in force from `effectiveFromMs` until the next version's start. */
export interface PriceListVersion {
  readonly versionId: string;
  readonly effectiveFromMs: number;
  readonly currency: string;
  readonly items: readonly PriceItem[];
}

/** A usage record priced with the version in force at its hour; it keeps that version for ever. */
export interface RatedRecord extends UsageRecord {
  readonly priceVersionId: string;
  readonly currency: string;
  /** At PRICE_SCALE places. */
  readonly unitPrice: string;
  /** At PRICING_QUANTITY_SCALE places. */
  readonly pricingQuantity: string;
  /** unitPrice × pricingQuantity exactly, at COST_SCALE places. */
  readonly cost: string;
  /** A delta billed in a later period for an hour of a closed one (FOCUS ChargeClass "Correction"). */
  readonly correction: boolean;
}

export class MissingPriceError extends Error {
  constructor(
    readonly sku: Sku,
    readonly atMs: number,
    detail: string,
  ) {
    super(`no price for ${sku} at ${new Date(atMs).toISOString()}: ${detail}`);
    this.name = 'MissingPriceError';
  }
}

/** Problems with one version; empty when valid. */
export function validatePriceListVersion(v: PriceListVersion): string[] {
  const problems: string[] = [];
  if (typeof v.versionId !== 'string' || v.versionId.length === 0) problems.push('versionId must be a non-empty string');
  if (!Number.isSafeInteger(v.effectiveFromMs) || v.effectiveFromMs < 0) problems.push('effectiveFromMs must be a non-negative integer');
  if (!isNationalCurrency(v.currency)) problems.push(`currency ${String(v.currency)} is not an ISO 4217 national currency`);
  const seen = new Set<string>();
  for (const item of v.items ?? []) {
    if (!isSku(item.sku)) {
      problems.push(`sku ${String(item.sku)} is unknown (known: ${SKUS.join(', ')})`);
      continue;
    }
    if (seen.has(item.sku)) problems.push(`sku ${item.sku} is listed twice`);
    seen.add(item.sku);
    if (!isPlainDecimal(item.unitPrice) || item.unitPrice.startsWith('-'))
      problems.push(`${item.sku}: unitPrice must be a non-negative plain decimal`);
    else if (parseDecimal(item.unitPrice).scale > PRICE_SCALE) problems.push(`${item.sku}: unitPrice has more than ${PRICE_SCALE} decimal places`);
    if (item.unit !== SKU_CATALOG[item.sku].pricingUnit) problems.push(`${item.sku}: unit must be ${SKU_CATALOG[item.sku].pricingUnit}`);
  }
  return problems;
}

/** Problems with a whole history: each version, unique ids and start times, one currency throughout. */
export function validatePriceHistory(versions: readonly PriceListVersion[]): string[] {
  const problems = versions.flatMap((v) => validatePriceListVersion(v).map((p) => `${v.versionId}: ${p}`));
  if (new Set(versions.map((v) => v.versionId)).size !== versions.length) problems.push('versionIds must be unique');
  if (new Set(versions.map((v) => v.effectiveFromMs)).size !== versions.length) problems.push('two versions start at the same instant');
  // One BillingCurrency per billing account and period; a currency switch needs its own migration.
  if (new Set(versions.map((v) => v.currency)).size > 1) problems.push('all versions must use one currency');
  return problems;
}

/** The version in force at an instant: the greatest `effectiveFromMs ≤ atMs`. */
export function priceVersionAt(versions: readonly PriceListVersion[], atMs: number): PriceListVersion | undefined {
  let best: PriceListVersion | undefined;
  for (const v of versions) {
    if (v.effectiveFromMs <= atMs && (!best || v.effectiveFromMs > best.effectiveFromMs)) best = v;
  }
  return best;
}

/** PricingQuantity of a ConsumedQuantity: per-hour units, half-even at 6 places (see the note above). */
export function pricingQuantityOf(consumedQuantity: string): string {
  return formatDecimal(divideHalfEven(parseDecimal(consumedQuantity), BigInt(SECONDS_PER_HOUR), PRICING_QUANTITY_SCALE), PRICING_QUANTITY_SCALE);
}

/** Prices a record with a given version (used to keep a key's original version for corrections). */
export function rateWithVersion(record: UsageRecord, version: PriceListVersion, correction = false): RatedRecord {
  const item = version.items.find((i) => i.sku === record.sku);
  if (!item) throw new MissingPriceError(record.sku, record.hourStartMs, `version ${version.versionId} has no ${record.sku} item`);
  const unitPrice = parseDecimal(item.unitPrice, { nonNegative: true, maxScale: PRICE_SCALE });
  const pricingQuantity = pricingQuantityOf(record.consumedQuantity);
  const cost = multiplyDecimals(unitPrice, parseDecimal(pricingQuantity));
  return {
    ...record,
    priceVersionId: version.versionId,
    currency: version.currency,
    unitPrice: formatDecimal(unitPrice, PRICE_SCALE),
    pricingQuantity,
    cost: formatDecimal(cost, COST_SCALE),
    correction,
  };
}

/** Prices a record with the version in force at the start of its hour. */
export function rateRecord(record: UsageRecord, versions: readonly PriceListVersion[]): RatedRecord {
  const version = priceVersionAt(versions, record.hourStartMs);
  if (!version) throw new MissingPriceError(record.sku, record.hourStartMs, 'no price list version in force yet');
  return rateWithVersion(record, version);
}

export function rateRecords(records: Iterable<UsageRecord>, versions: readonly PriceListVersion[]): RatedRecord[] {
  return [...records].map((r) => rateRecord(r, versions));
}
