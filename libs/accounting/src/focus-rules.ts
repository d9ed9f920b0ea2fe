import type { Cell } from './csv-codec.js';
import { isNationalCurrency } from './currency.js';
import { compareDecimals, isZeroDecimal, multiplyDecimals, type Decimal } from './decimal.js';
import { isFocusUnit, parseFocusNumber, SKU_PRICE_DETAIL_TYPES } from './focus-values.js';

/** A row as the checker sees it: `undefined` when the column is absent from the header. */
export type CellGetter = (column: string) => Cell | undefined;
export type Report = (rule: string, column: string | null, message: string) => void;

type Kind = 'string' | 'decimal' | 'datetime' | 'json';

/**
 * Per-column type/format and not-null rules, keyed by the FOCUS validator's model-1.2 rule ids (`XP-` ids are
 * ours: the 1.3 and custom columns have no 1.2 rule). `type` is the TypeString rule the dataset-level check
 * reports when a loader would infer the column as numeric.
 */
export const COLUMN_RULES: Readonly<Record<string, { kind: Kind; format?: string; notNull?: string; type?: string }>> = {
  BilledCost: { kind: 'decimal', format: 'BilledCost-C-002-M', notNull: 'BilledCost-C-003-M' },
  BillingAccountId: { kind: 'string', type: 'BillingAccountId-C-002-M', format: 'BillingAccountId-C-003-M', notNull: 'BillingAccountId-C-001-M' },
  BillingAccountName: {
    kind: 'string',
    type: 'BillingAccountName-C-001-M',
    format: 'BillingAccountName-C-002-M',
    notNull: 'BillingAccountName-C-003-C',
  },
  BillingCurrency: { kind: 'string', type: 'BillingCurrency-C-001-M', format: 'BillingCurrency-C-002-M', notNull: 'BillingCurrency-C-004-M' },
  BillingPeriodEnd: { kind: 'datetime', format: 'BillingPeriodEnd-C-002-M', notNull: 'BillingPeriodEnd-C-003-M' },
  BillingPeriodStart: { kind: 'datetime', format: 'BillingPeriodStart-C-002-M', notNull: 'BillingPeriodStart-C-003-M' },
  ChargeCategory: { kind: 'string', type: 'ChargeCategory-C-001-M', notNull: 'ChargeCategory-C-002-M' },
  ChargeClass: { kind: 'string', type: 'ChargeClass-C-001-M' },
  ChargeDescription: { kind: 'string', type: 'ChargeDescription-C-001-M', format: 'ChargeDescription-C-002-M', notNull: 'ChargeDescription-C-003-O' },
  ChargeFrequency: { kind: 'string', type: 'ChargeFrequency-C-001-M', notNull: 'ChargeFrequency-C-002-M' },
  ChargePeriodEnd: { kind: 'datetime', format: 'ChargePeriodEnd-C-002-M', notNull: 'ChargePeriodEnd-C-003-M' },
  ChargePeriodStart: { kind: 'datetime', format: 'ChargePeriodStart-C-002-M', notNull: 'ChargePeriodStart-C-003-M' },
  ConsumedQuantity: { kind: 'decimal', format: 'ConsumedQuantity-C-002-M' },
  ConsumedUnit: { kind: 'string', type: 'ConsumedUnit-C-001-M', format: 'ConsumedUnit-C-002-M' },
  ContractedCost: { kind: 'decimal', format: 'ContractedCost-C-002-M', notNull: 'ContractedCost-C-003-M' },
  EffectiveCost: { kind: 'decimal', format: 'EffectiveCost-C-002-M', notNull: 'EffectiveCost-C-003-M' },
  HostProviderName: { kind: 'string', format: 'XP-STRING-ASCII' },
  InvoiceIssuerName: { kind: 'string', type: 'InvoiceIssuerName-C-001-M', format: 'InvoiceIssuerName-C-002-M', notNull: 'InvoiceIssuerName-C-003-M' },
  ListCost: { kind: 'decimal', format: 'ListCost-C-002-M', notNull: 'ListCost-C-003-M' },
  ListUnitPrice: { kind: 'decimal', format: 'ListUnitPrice-C-002-M' },
  PricingQuantity: { kind: 'decimal', format: 'PricingQuantity-C-002-M' },
  PricingUnit: { kind: 'string', type: 'PricingUnit-C-001-M', format: 'PricingUnit-C-002-M' },
  ProviderName: { kind: 'string', type: 'ProviderName-C-001-M', format: 'ProviderName-C-002-M', notNull: 'ProviderName-C-003-M' },
  PublisherName: { kind: 'string', type: 'PublisherName-C-001-M', format: 'PublisherName-C-002-M', notNull: 'PublisherName-C-003-M' },
  RegionId: { kind: 'string', type: 'RegionId-C-001-M', format: 'RegionId-C-002-M' },
  RegionName: { kind: 'string', type: 'RegionName-C-001-M', format: 'RegionName-C-002-M' },
  ResourceId: { kind: 'string', type: 'ResourceId-C-001-M', format: 'ResourceId-C-002-M' },
  ResourceName: { kind: 'string', type: 'ResourceName-C-001-M', format: 'ResourceName-C-002-M' },
  ResourceType: { kind: 'string', type: 'ResourceType-C-001-M', format: 'ResourceType-C-002-M' },
  ServiceCategory: { kind: 'string', type: 'ServiceCategory-C-001-M', notNull: 'ServiceCategory-C-002-M' },
  ServiceName: { kind: 'string', type: 'ServiceName-C-001-M', format: 'ServiceName-C-002-M', notNull: 'ServiceName-C-003-M' },
  ServiceProviderName: { kind: 'string', format: 'XP-STRING-ASCII', notNull: 'XP-PROVIDER-NAMES' },
  ServiceSubcategory: { kind: 'string', type: 'ServiceSubcategory-C-001-M', notNull: 'ServiceSubcategory-C-002-M' },
  SkuId: { kind: 'string', type: 'SkuId-C-001-M', format: 'SkuId-C-002-M' },
  SkuMeter: { kind: 'string', type: 'SkuMeter-C-001-M', format: 'SkuMeter-C-002-M' },
  SkuPriceDetails: { kind: 'json', format: 'SkuPriceDetails-C-001-M' },
  SkuPriceId: { kind: 'string', type: 'SkuPriceId-C-001-M', format: 'SkuPriceId-C-002-M' },
  Tags: { kind: 'json', format: 'Tags-C-001-M' },
  x_PriceVersionId: { kind: 'string', format: 'XP-STRING-ASCII', notNull: 'XP-PRICE-VERSION' },
};

// The validator's FormatString: 7-bit ASCII only (stricter than FOCUS's "valid Unicode").
// eslint-disable-next-line no-control-regex -- the whole 7-bit range, controls included, is ASCII
const ASCII = /^[\x00-\x7F]*$/;
// JSON tokens of a flat object, to find duplicate keys (JSON.parse keeps the last one silently).
const JSON_TOKEN = /"(?:[^"\\]|\\.)*"|[{}[\]:,]|[^\s{}[\]:,"]+/g;

/** Parses a KeyValueFormat cell: a JSON object with unique keys and only primitive values; else a reason. */
export function parseKeyValue(text: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not valid JSON';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const nested = Object.entries(value).find(([, v]) => v !== null && typeof v === 'object');
  if (nested) return `value of ${nested[0]} is an object or array`;
  const tokens = text.match(JSON_TOKEN) ?? [];
  const keys = tokens.filter((_, i) => tokens[i + 1] === ':').map((t) => JSON.parse(t) as string);
  if (new Set(keys).size !== keys.length) return 'duplicate keys';
  return value as Record<string, unknown>;
}

/** Checks the type and format of every present cell, and the not-null rules of its column. */
export function checkCells(get: CellGetter, report: Report, parseTime: (text: string) => number | null): void {
  for (const [column, rule] of Object.entries(COLUMN_RULES)) {
    const v = get(column);
    if (v === undefined) continue;
    if (v === null) {
      if (rule.notNull) report(rule.notNull, column, `${column} must not be null`);
      continue;
    }
    if (v.trim() === '') {
      report('NullHandling-A-002-M', column, `${column} uses an empty or blank string instead of NULL`);
      continue;
    }
    if (!rule.format) continue;
    const bad =
      rule.kind === 'decimal'
        ? parseFocusNumber(v) === null && 'is not FOCUS NumericFormat'
        : rule.kind === 'datetime'
          ? parseTime(v) === null && 'is not a UTC YYYY-MM-DDTHH:mm:ssZ date/time'
          : rule.kind === 'json'
            ? typeof parseKeyValue(v) === 'string' && `is not KeyValueFormat: ${parseKeyValue(v) as string}`
            : !ASCII.test(v) && 'has non-ASCII characters';
    if (bad) report(rule.format, column, `${column} ${JSON.stringify(v.slice(0, 60))} ${bad}`);
  }
}

function num(get: CellGetter, column: string): Decimal | null {
  const v = get(column);
  return v === undefined || v === null ? null : parseFocusNumber(v);
}

/** Null-iff and value rules that tie columns together (ChargeCategory/ChargeClass conditions, units, SKU links). */
export function checkConditionalRules(get: CellGetter, report: Report, float64 = false): void {
  const category = get('ChargeCategory');
  const correction = get('ChargeClass') === 'Correction';
  const usageOrPurchase = category === 'Usage' || category === 'Purchase';
  const has = (c: string): boolean => get(c) !== null && get(c) !== undefined;
  const nullWhen = (column: string, rule: string, when: boolean, why: string): void => {
    if (when && has(column)) report(rule, column, `${column} must be null when ${why}`);
  };
  const notNullWhen = (column: string, rule: string, when: boolean, why: string): void => {
    if (when && get(column) === null) report(rule, column, `${column} must not be null when ${why}`);
  };
  const priced = usageOrPurchase && !correction;
  for (const c of ['ListUnitPrice', 'PricingQuantity', 'SkuId', 'SkuPriceId']) {
    nullWhen(c, `${c}-C-004-C`, category === 'Tax', 'ChargeCategory is Tax');
    notNullWhen(c, `${c}-C-005-C`, priced, 'a Usage or Purchase row is not a Correction');
  }
  const price = num(get, 'ListUnitPrice');
  if (price && price.units < 0n) report('ListUnitPrice-C-008-M', 'ListUnitPrice', 'ListUnitPrice must not be negative');
  nullWhen('ConsumedQuantity', 'ConsumedQuantity-C-004-C', category !== 'Usage', 'ChargeCategory is not Usage');
  notNullWhen('ConsumedQuantity', 'ConsumedQuantity-C-006-C', category === 'Usage' && !correction, 'a Usage row is not a Correction');
  // [column, the column it follows, rule when it must be null, rule when it must not be]
  const follows: [string, string, string, string][] = [
    ['PricingUnit', 'PricingQuantity', 'PricingUnit-C-005-C', 'PricingUnit-C-006-C'],
    ['ConsumedUnit', 'ConsumedQuantity', 'ConsumedUnit-C-005-C', 'ConsumedUnit-C-006-C'],
    ['RegionName', 'RegionId', 'RegionName-C-004-C', 'RegionName-C-005-C'],
    ['ResourceType', 'ResourceId', 'ResourceType-C-004-C', 'ResourceType-C-005-C'],
  ];
  for (const [column, base, nullRule, notNullRule] of follows) {
    if (get(base) === undefined) continue;
    nullWhen(column, nullRule, get(base) === null, `${base} is null`);
    notNullWhen(column, notNullRule, has(base), `${base} is not null`);
  }
  for (const c of ['PricingUnit', 'ConsumedUnit']) {
    const unit = get(c);
    if (unit && !isFocusUnit(unit)) report(`${c}-C-003-O`, c, `${c} ${JSON.stringify(unit)} does not follow UnitFormat`);
  }
  nullWhen('SkuMeter', 'SkuMeter-C-004-C', get('SkuId') === null, 'SkuId is null');
  notNullWhen('SkuMeter', 'SkuMeter-C-005-C', has('SkuId'), 'SkuId is not null');
  nullWhen('SkuPriceDetails', 'SkuPriceDetails-C-004-C', get('SkuPriceId') === null, 'SkuPriceId is null');
  const details = get('SkuPriceDetails');
  const parsed = details ? parseKeyValue(details) : null;
  if (parsed && typeof parsed === 'object') {
    for (const [key, value] of Object.entries(parsed)) {
      const type = SKU_PRICE_DETAIL_TYPES.get(key);
      if (!type && !key.startsWith('x_')) report('SkuPriceDetails-C-017-C', 'SkuPriceDetails', `${key} is neither FOCUS-defined nor x_-prefixed`);
      if (type && typeof value !== type) report('SkuPriceDetails-C-021-M', 'SkuPriceDetails', `${key} must be a ${type}`);
    }
  }
  if (has('ResourceName') && get('ResourceName') === get('ResourceId'))
    report('ResourceName-C-006-C', 'ResourceName', 'ResourceName duplicates ResourceId');
  const currency = get('BillingCurrency');
  if (currency && !/^[A-Z]{3}$/.test(currency)) report('BillingCurrency-C-003-M', 'BillingCurrency', `${currency} is not a three-letter code`);
  else if (currency && !isNationalCurrency(currency))
    report('BillingCurrency-C-006-M', 'BillingCurrency', `${String(currency)} is not a national currency`);
  checkCosts(get, report, correction, float64);
}

function checkCosts(get: CellGetter, report: Report, correction: boolean, float64: boolean): void {
  const billed = num(get, 'BilledCost');
  if (billed && !isZeroDecimal(billed) && has2(get, 'ProviderName', 'InvoiceIssuerName') && get('ProviderName') !== get('InvoiceIssuerName')) {
    report('BilledCost-C-005-C', 'BilledCost', 'BilledCost must be 0 when ProviderName differs from InvoiceIssuerName');
  }
  const effective = num(get, 'EffectiveCost');
  if (get('ChargeCategory') === 'Purchase' && effective && !isZeroDecimal(effective))
    report('EffectiveCost-C-005-C', 'EffectiveCost', 'EffectiveCost must be 0 on a Purchase');
  const contracted = num(get, 'ContractedCost');
  if (get('ContractedUnitPrice') === undefined && billed && contracted && compareDecimals(billed, contracted) !== 0) {
    report('ContractedCost-C-008-C', 'ContractedCost', 'without ContractedUnitPrice, ContractedCost must equal BilledCost');
  }
  const list = num(get, 'ListCost');
  const price = num(get, 'ListUnitPrice');
  const quantity = num(get, 'PricingQuantity');
  if (list && price && quantity && compareDecimals(multiplyDecimals(price, quantity), list) !== 0) {
    const rule = correction ? 'XP-CORRECTION-PRODUCT' : 'ListCost-C-009-C';
    report(rule, 'ListCost', `ListUnitPrice ${get('ListUnitPrice')} × PricingQuantity ${get('PricingQuantity')} ≠ ListCost ${get('ListCost')}`);
  } else if (float64 && list && price && quantity && !correction) {
    // What the official validator computes: both operands and the result loaded as Float64 (§3.3 gotcha).
    const [a, b, r] = ['ListUnitPrice', 'PricingQuantity', 'ListCost'].map((c) => Number(get(c)));
    if (a * b !== r) report('ListCost-C-009-C/float64', 'ListCost', `exact, but ${a} × ${b} ≠ ${r} in Float64`);
  }
  for (const [column, value] of [
    ['ListCost', list],
    ['EffectiveCost', effective],
  ] as const) {
    if (billed && value && compareDecimals(billed, value) !== 0) report('XP-COSTS-EQUAL', column, `${column} must equal BilledCost (no discounts)`);
  }
}

function has2(get: CellGetter, a: string, b: string): boolean {
  return get(a) != null && get(b) != null;
}
