import { parseFocusDateTime } from './billing-period.js';
import { compareStrings } from '@xenplane/core';
import { parseCsv, type Cell } from './csv-codec.js';
import { canonicalDecimal, compareDecimals, divideHalfEven } from './decimal.js';
import { FOCUS_COLUMN_NAMES, FOCUS_COLUMNS } from './focus-columns.js';
import { checkCells, checkConditionalRules, COLUMN_RULES, type CellGetter } from './focus-rules.js';
import { CHARGE_CATEGORIES, CHARGE_FREQUENCIES, parseFocusNumber, SERVICE_CATEGORIES, SUBCATEGORY_PARENT } from './focus-values.js';
import { HOUR_MS, SECONDS_PER_HOUR } from './hourly-split.js';
import { PRICING_QUANTITY_SCALE } from './rating.js';
import { isSku, SKU_CATALOG } from './skus.js';

/** One broken rule: a model-1.2 rule id of the FOCUS validator, or an `XP-` id for our own export rules. */
export interface FocusViolation {
  readonly rule: string;
  /** 1-based data row (the header is row 0), or null for a dataset-level rule. */
  readonly row: number | null;
  readonly column: string | null;
  readonly message: string;
}

export interface FocusCheckOptions {
  /** Stop recording after this many (an `XP-TRUNCATED` entry says so); default 1000. */
  readonly maxViolations?: number;
  /** Also report rows whose exact product only fails in Float64, as the official validator computes it. */
  readonly float64Product?: boolean;
}

// ColumnPresent rules (CostAndUsage-D-*) for the columns we must emit.
const PRESENCE: Record<string, string> = {
  BilledCost: 'D-006-M',
  BillingAccountId: 'D-024-M',
  BillingAccountName: 'D-005-M',
  BillingCurrency: 'D-035-M',
  BillingPeriodEnd: 'D-010-M',
  BillingPeriodStart: 'D-009-M',
  ChargeCategory: 'D-008-M',
  ChargeClass: 'D-026-M',
  ChargeDescription: 'D-025-M',
  ChargeFrequency: 'D-027-O',
  ChargePeriodEnd: 'D-028-M',
  ChargePeriodStart: 'D-037-M',
  ConsumedQuantity: 'D-011-C',
  ConsumedUnit: 'D-066-C',
  ContractedCost: 'D-030-M',
  EffectiveCost: 'D-031-M',
  InvoiceIssuerName: 'D-023-M',
  ListCost: 'D-032-M',
  ListUnitPrice: 'D-004-C',
  PricingQuantity: 'D-036-M',
  PricingUnit: 'D-068-M',
  ProviderName: 'D-038-M',
  PublisherName: 'D-021-M',
  RegionId: 'D-063-C',
  RegionName: 'D-062-C',
  ResourceId: 'D-043-C',
  ResourceName: 'D-044-C',
  ResourceType: 'D-039-C',
  ServiceCategory: 'D-040-M',
  ServiceName: 'D-041-M',
  ServiceSubcategory: 'D-042-O',
  SkuId: 'D-060-C',
  SkuMeter: 'D-059-C',
  SkuPriceDetails: 'D-061-C',
  SkuPriceId: 'D-058-C',
  Tags: 'D-064-C',
};
// Fixed-scale text per DECIMAL column (P6), compiled once: the checker may see tens of millions of rows.
const SCALES = new Map(FOCUS_COLUMNS.filter((c) => c.numberScale !== undefined).map((c) => [c.name, new RegExp(`^-?\\d+\\.\\d{${c.numberScale}}$`)]));
const ORDER_COLUMNS = ['BillingAccountId', 'ChargePeriodStart', 'ResourceId', 'SkuPriceId', 'ChargeClass'];

/**
 * Validates a FOCUS cost-and-usage dataset row by row in constant memory (per distinct SKU, service and
 * account): the statically checkable FOCUS 1.2 rules of accounting.md §3.2–§3.3 for the columns we emit,
 * plus our export's own rules (XP-*): exact header, fixed decimal scales, hourly charge periods inside one
 * UTC-month billing period (corrections before it), the §3.4 SKU mapping, exact cost products on every row,
 * one currency per account, and a strictly increasing total order.
 */
export class FocusConformanceChecker {
  private readonly violations: FocusViolation[] = [];
  private readonly index = new Map<string, number>();
  private readonly max: number;
  private rowNumber = 0;
  private truncated = false;
  private lastKey: string[] | null = null;
  private period: string | null = null;
  private readonly currencyOf = new Map<string, string>();
  private readonly distinct = new Map<string, Map<string, Set<string>>>();
  private readonly numericOnly = new Map<string, boolean>();

  constructor(
    private readonly header: readonly string[],
    private readonly options: FocusCheckOptions = {},
  ) {
    this.max = options.maxViolations ?? 1000;
    header.forEach((name, i) => {
      if (this.index.has(name)) this.add('XP-HEADER', null, name, `column ${name} appears twice`);
      this.index.set(name, i);
    });
    for (const [column, id] of Object.entries(PRESENCE)) {
      if (!this.index.has(column)) this.add(`CostAndUsage-${id}`, null, column, `column ${column} is missing`);
    }
    for (const name of header) {
      if (!FOCUS_COLUMN_NAMES.includes(name) && !name.startsWith('x_'))
        this.add('ColumnHandling-A-010-M', null, name, `${name} is neither FOCUS nor x_-prefixed`);
    }
    if (header.join(',') !== FOCUS_COLUMN_NAMES.join(',')) this.add('XP-HEADER', null, null, 'header differs from FOCUS_COLUMNS (names or order)');
  }

  private add(rule: string, row: number | null, column: string | null, message: string): void {
    if (this.violations.length < this.max) this.violations.push({ rule, row, column, message });
    else this.truncated = true;
  }

  row(cells: readonly Cell[]): void {
    const n = (this.rowNumber += 1);
    if (cells.length !== this.header.length) this.add('XP-ROW-WIDTH', n, null, `${cells.length} cells for ${this.header.length} columns`);
    const get: CellGetter = (column) => {
      const i = this.index.get(column);
      return i === undefined ? undefined : (cells[i] ?? null);
    };
    const report = (rule: string, column: string | null, message: string): void => this.add(rule, n, column, message);
    checkCells(get, report, parseFocusDateTime);
    checkConditionalRules(get, report, this.options.float64Product ?? false);
    this.checkValues(get, report);
    this.checkExportRules(get, report);
    this.track(get, n);
  }

  private checkValues(get: CellGetter, report: (rule: string, column: string | null, message: string) => void): void {
    const category = get('ChargeCategory');
    if (category && !CHARGE_CATEGORIES.has(category)) report('ChargeCategory-C-003-M', 'ChargeCategory', `${category} is not allowed`);
    const cls = get('ChargeClass');
    if (cls && cls !== 'Correction') report('ChargeClass-C-005-C', 'ChargeClass', `${cls} is not Correction`);
    const frequency = get('ChargeFrequency');
    if (frequency && !CHARGE_FREQUENCIES.has(frequency)) report('ChargeFrequency-C-003-M', 'ChargeFrequency', `${frequency} is not allowed`);
    if (category === 'Purchase' && frequency === 'Usage-Based') report('ChargeFrequency-C-004-C', 'ChargeFrequency', 'a Purchase is not Usage-Based');
    const service = get('ServiceCategory');
    if (service && !SERVICE_CATEGORIES.has(service)) report('ServiceCategory-C-003-M', 'ServiceCategory', `${service} is not allowed`);
    const sub = get('ServiceSubcategory');
    if (sub && !SUBCATEGORY_PARENT.has(sub)) report('ServiceSubcategory-C-003-M', 'ServiceSubcategory', `${sub} is not allowed`);
    else if (sub && service && SUBCATEGORY_PARENT.get(sub) !== service)
      report('ServiceSubcategory-C-004-M', 'ServiceSubcategory', `${sub} belongs to ${SUBCATEGORY_PARENT.get(sub)}`);
  }

  private checkExportRules(get: CellGetter, report: (rule: string, column: string | null, message: string) => void): void {
    for (const [column, fixed] of SCALES) {
      const v = get(column);
      if (v && !fixed.test(v)) report('XP-SCALE', column, `${v} does not match ${fixed.source}`);
    }
    const time = (c: string): number | null => {
      const v = get(c);
      return v ? parseFocusDateTime(v) : null;
    };
    const [cs, ce, bs, be] = ['ChargePeriodStart', 'ChargePeriodEnd', 'BillingPeriodStart', 'BillingPeriodEnd'].map(time);
    if (cs != null && ce != null && (cs >= ce || ce - cs !== HOUR_MS || cs % HOUR_MS !== 0))
      report('XP-HOURLY', 'ChargePeriodStart', 'charge period is not one whole UTC hour');
    if (bs != null && be != null) {
      const start = new Date(bs);
      const month =
        Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1) === bs && Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1) === be;
      if (!month) report('XP-BILLING-MONTH', 'BillingPeriodStart', 'billing period is not one UTC calendar month');
      if (cs != null && ce != null) {
        const correction = get('ChargeClass') === 'Correction';
        const inside = correction ? ce <= bs : bs <= cs && ce <= be;
        if (!inside)
          report(
            'XP-CHARGE-IN-PERIOD',
            'ChargePeriodStart',
            correction ? 'a Correction must correct an earlier period' : 'charge period outside the billing period',
          );
      }
    }
    const skuId = get('SkuId');
    if (!skuId) return;
    if (!isSku(skuId)) {
      report('XP-SKU-MAPPING', 'SkuId', `${skuId} is not one of our SKUs`);
      return;
    }
    const sku = SKU_CATALOG[skuId];
    if (get('PricingUnit') !== undefined && get('PricingUnit') !== sku.pricingUnit)
      report('PricingUnit-C-008-M', 'PricingUnit', `the price list unit of ${skuId} is ${sku.pricingUnit}`);
    const expected: Record<string, string> = {
      SkuPriceId: skuId,
      ConsumedUnit: sku.consumedUnit,
      ServiceName: sku.serviceName,
      ServiceCategory: sku.serviceCategory,
      ServiceSubcategory: sku.serviceSubcategory,
      ResourceType: sku.resourceType,
      SkuMeter: sku.skuMeter,
      ChargeFrequency: 'Usage-Based',
    };
    for (const [column, value] of Object.entries(expected)) {
      const v = get(column);
      if (v !== undefined && v !== value) report('XP-SKU-MAPPING', column, `${skuId} maps to ${column} ${JSON.stringify(value)}`);
    }
    if (!get('ResourceId')?.startsWith(`${sku.resourceKind}/`))
      report('XP-SKU-MAPPING', 'ResourceId', `${skuId} resources are ${sku.resourceKind}/<id>`);
    const consumed = parseFocusNumber(get('ConsumedQuantity') ?? '');
    const quantity = parseFocusNumber(get('PricingQuantity') ?? '');
    if (get('ChargeClass') !== 'Correction' && consumed && quantity) {
      const expectedQuantity = divideHalfEven(consumed, BigInt(SECONDS_PER_HOUR), PRICING_QUANTITY_SCALE);
      if (compareDecimals(expectedQuantity, quantity) !== 0) {
        report(
          'XP-PRICING-QUANTITY',
          'PricingQuantity',
          `expected round_half_even(ConsumedQuantity / 3600, 6) = ${canonicalDecimal(expectedQuantity)}`,
        );
      }
    }
  }

  private track(get: CellGetter, n: number): void {
    const period = `${get('BillingPeriodStart')}/${get('BillingPeriodEnd')}`;
    if (this.period === null) this.period = period;
    else if (period !== this.period) this.add('XP-ONE-PERIOD', n, 'BillingPeriodStart', `period ${period} in a ${this.period} file`);
    const account = get('BillingAccountId');
    const currency = get('BillingCurrency');
    if (account && currency) {
      const seen = this.currencyOf.get(account);
      if (seen === undefined) this.currencyOf.set(account, currency);
      else if (seen !== currency) this.add('XP-CURRENCY', n, 'BillingCurrency', `account ${account} is billed in ${seen} and ${currency}`);
    }
    const key = ORDER_COLUMNS.map((c) => get(c) ?? '');
    if (this.lastKey) {
      const cmp = key.reduce((acc, v, i) => acc || compareStrings(this.lastKey![i], v), 0);
      if (cmp >= 0) this.add('XP-ORDER', n, null, cmp === 0 ? 'duplicate of the previous row key' : 'row is out of order');
    }
    this.lastKey = key;
    for (const [a, b] of [
      ['SkuPriceId', 'SkuId'],
      ['ServiceName', 'ServiceCategory'],
      ['ServiceName', 'ServiceSubcategory'],
    ] as const) {
      const map = this.distinct.get(`${a}>${b}`) ?? new Map<string, Set<string>>();
      const values = map.get(get(a) ?? '\u0000null') ?? new Set<string>();
      values.add(get(b) ?? '\u0000null');
      map.set(get(a) ?? '\u0000null', values);
      this.distinct.set(`${a}>${b}`, map);
    }
    for (const [column, rule] of Object.entries(COLUMN_RULES)) {
      const v = get(column);
      if (!rule.type || v === undefined || v === null) continue;
      this.numericOnly.set(column, (this.numericOnly.get(column) ?? true) && parseFocusNumber(v) !== null);
    }
  }

  /** Dataset-level rules; returns every violation found, in the order found. */
  finish(): FocusViolation[] {
    const rules: Record<string, string> = {
      'SkuPriceId>SkuId': 'SkuPriceId-C-008-M',
      'ServiceName>ServiceCategory': 'ServiceName-C-005-C',
      'ServiceName>ServiceSubcategory': 'ServiceName-C-008-C',
    };
    for (const [pair, map] of this.distinct) {
      for (const [value, set] of map)
        if (set.size !== 1) this.add(rules[pair], null, pair.split('>')[0], `${value} has ${set.size} distinct ${pair.split('>')[1]} values`);
    }
    for (const [column, numeric] of this.numericOnly) {
      if (numeric) this.add(COLUMN_RULES[column].type!, null, column, `every ${column} value is numeric: a CSV loader infers a number, not a String`);
    }
    if (this.truncated) this.violations.push({ rule: 'XP-TRUNCATED', row: null, column: null, message: `more than ${this.max} violations` });
    return this.violations;
  }
}

/** Checks a header and rows in one call. */
export function checkFocusRows(header: readonly string[], rows: Iterable<readonly Cell[]>, options?: FocusCheckOptions): FocusViolation[] {
  const checker = new FocusConformanceChecker(header, options);
  for (const row of rows) checker.row(row);
  return checker.finish();
}

/** Parses a FOCUS CSV (first record = header) and checks it. */
export function checkFocusCsv(text: string, options?: FocusCheckOptions): FocusViolation[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [{ rule: 'XP-HEADER', row: null, column: null, message: 'empty file' }];
  return checkFocusRows(
    header.map((h) => h ?? ''),
    rows,
    options,
  );
}
