import { compareStrings } from '@xenplane/core';
import { currencyMinorUnits } from './currency.js';
import { addDecimals, decimalFromInteger, formatDecimal, parseDecimal, roundHalfEven, type Decimal } from './decimal.js';
import { COST_SCALE, type RatedRecord } from './rating.js';

/** A sum of row costs: exact (COST_SCALE places) and rounded half-even to the currency's minor unit. */
export interface CostTotal {
  readonly currency: string;
  readonly rows: number;
  readonly exact: string;
  readonly rounded: string;
}

/** Rounds an amount to the currency's minor unit (USD 2 places, JPY 0), half to even, once, at the end. */
export function roundMoney(amount: string, currency: string): string {
  const places = currencyMinorUnits(currency);
  return formatDecimal(roundHalfEven(parseDecimal(amount), places), places);
}

interface Sum {
  currency: string;
  rows: number;
  sum: Decimal;
}

function total(s: Sum): CostTotal {
  return {
    currency: s.currency,
    rows: s.rows,
    exact: formatDecimal(s.sum, COST_SCALE),
    rounded: roundMoney(formatDecimal(s.sum, COST_SCALE), s.currency),
  };
}

/**
 * Streaming totals per billing account (tenant), in constant memory per tenant: feed every exported row,
 * then read each tenant's invoice total and the period total. Rows are never rounded; each total is
 * rounded once, so Σ exact per tenant = exact period total (P7), while rounded totals may differ from the
 * sum of rounded tenant totals by the rounding of each.
 */
export class CostTotals {
  private readonly tenants = new Map<string, Sum>();

  add(row: Pick<RatedRecord, 'tenantId' | 'currency' | 'cost'>): void {
    const s = this.tenants.get(row.tenantId) ?? { currency: row.currency, rows: 0, sum: decimalFromInteger(0) };
    if (s.currency !== row.currency) throw new RangeError(`tenant ${row.tenantId} mixes ${s.currency} and ${row.currency}`);
    s.rows += 1;
    s.sum = addDecimals(s.sum, parseDecimal(row.cost));
    this.tenants.set(row.tenantId, s);
  }

  tenant(tenantId: string): CostTotal | undefined {
    const s = this.tenants.get(tenantId);
    return s && total(s);
  }

  /** Every tenant's total, in tenant id order. */
  byTenant(): [string, CostTotal][] {
    return [...this.tenants.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([id, s]) => [id, total(s)]);
  }

  /** The period total over all tenants, or null when nothing was added. */
  overall(): CostTotal | null {
    const sums = [...this.tenants.values()];
    if (sums.length === 0) return null;
    const currency = sums[0].currency;
    if (sums.some((s) => s.currency !== currency)) throw new RangeError('tenants are billed in different currencies');
    return total({ currency, rows: sums.reduce((n, s) => n + s.rows, 0), sum: sums.reduce((a, s) => addDecimals(a, s.sum), decimalFromInteger(0)) });
  }
}
