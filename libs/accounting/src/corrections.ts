import {
  addDecimals,
  decimalFromInteger,
  formatDecimal,
  isZeroDecimal,
  multiplyDecimals,
  parseDecimal,
  subtractDecimals,
  type Decimal,
} from './decimal.js';
import { compareUsageRecords, usageRecordKey, type UsageRecord } from './hourly-split.js';
import {
  COST_SCALE,
  MissingPriceError,
  PRICING_QUANTITY_SCALE,
  priceVersionAt,
  rateWithVersion,
  type PriceListVersion,
  type RatedRecord,
} from './rating.js';
import { QUANTITY_SCALE } from './usage-events.js';

interface Billed {
  first: RatedRecord;
  seconds: number;
  consumed: Decimal;
  pricingQuantity: Decimal;
  cost: Decimal;
}

/**
 * Correction rows for closed hours whose usage changed after close (a late event): a closed period is never
 * rewritten; the difference is billed in the next open period with ChargeClass "Correction" (P5).
 *
 * `billed` holds every row already billed for the affected hours (the originals and any earlier corrections);
 * `recomputed` the usage records computed now from the full event log for the same hours. Each key keeps the
 * price version it was first billed with (a record keeps its version); an hour billed for the first time is
 * priced with the version in force at that hour. The delta rows carry the difference of the *rounded*
 * PricingQuantity, so original + corrections bill exactly what a fresh computation bills, and
 * `unitPrice × PricingQuantity = cost` still holds on every correction row.
 */
export function computeCorrections(
  billed: Iterable<RatedRecord>,
  recomputed: Iterable<UsageRecord>,
  versions: readonly PriceListVersion[],
): RatedRecord[] {
  const sums = new Map<string, Billed>();
  for (const row of billed) {
    const key = usageRecordKey(row);
    const s = sums.get(key);
    if (!s) {
      sums.set(key, {
        first: row,
        seconds: row.seconds,
        consumed: parseDecimal(row.consumedQuantity),
        pricingQuantity: parseDecimal(row.pricingQuantity),
        cost: parseDecimal(row.cost),
      });
      continue;
    }
    // Later rows of a key must have been priced like the first, or the deltas would mix prices.
    if (row.priceVersionId !== s.first.priceVersionId || row.unitPrice !== s.first.unitPrice) {
      throw new RangeError(`${key} was billed with versions ${s.first.priceVersionId} and ${row.priceVersionId}`);
    }
    if (!row.correction && s.first.correction) s.first = row;
    s.seconds += row.seconds;
    s.consumed = addDecimals(s.consumed, parseDecimal(row.consumedQuantity));
    s.pricingQuantity = addDecimals(s.pricingQuantity, parseDecimal(row.pricingQuantity));
    s.cost = addDecimals(s.cost, parseDecimal(row.cost));
  }

  const fresh = new Map<string, UsageRecord>();
  for (const r of recomputed) fresh.set(usageRecordKey(r), r);

  const rows: RatedRecord[] = [];
  for (const key of new Set([...sums.keys(), ...fresh.keys()])) {
    const old = sums.get(key);
    const base: UsageRecord = fresh.get(key) ?? { ...old!.first, seconds: 0, consumedQuantity: formatDecimal(decimalFromInteger(0), QUANTITY_SCALE) };
    const version = old ? versions.find((v) => v.versionId === old.first.priceVersionId) : priceVersionAt(versions, base.hourStartMs);
    if (!version)
      throw new MissingPriceError(base.sku, base.hourStartMs, old ? `version ${old.first.priceVersionId} is gone` : 'no version in force');
    const now = rateWithVersion(base, version);
    const zero = decimalFromInteger(0);
    const dConsumed = subtractDecimals(parseDecimal(now.consumedQuantity), old?.consumed ?? zero);
    const dQuantity = subtractDecimals(parseDecimal(now.pricingQuantity), old?.pricingQuantity ?? zero);
    const dSeconds = now.seconds - (old?.seconds ?? 0);
    if (dSeconds === 0 && isZeroDecimal(dConsumed) && isZeroDecimal(dQuantity)) continue;
    const cost = multiplyDecimals(parseDecimal(now.unitPrice), dQuantity);
    if (old && !isZeroDecimal(subtractDecimals(addDecimals(old.cost, cost), parseDecimal(now.cost)))) {
      throw new Error(`${key}: billed + correction does not equal the recomputed cost`);
    }
    rows.push({
      ...now,
      seconds: dSeconds,
      consumedQuantity: formatDecimal(dConsumed, QUANTITY_SCALE),
      pricingQuantity: formatDecimal(dQuantity, PRICING_QUANTITY_SCALE),
      cost: formatDecimal(cost, COST_SCALE),
      correction: true,
    });
  }
  return rows.sort(compareUsageRecords);
}
