import type { EntityManager } from 'typeorm';
import { one } from '@xenplane/core';
import { billingPeriodAt, type BillingPeriod } from '../billing-period.js';

/** The months a period may name: from the first with a price version or usage event, through the current one. */
export interface PeriodBounds {
  /** Start of the first month with a price version or a usage event; null when there is neither. */
  earliestMs: number | null;
  /** Start of the current month (database clock). */
  currentMs: number;
}

export async function periodBounds(q: EntityManager): Promise<PeriodBounds> {
  const row = await one<{ earliest: Date | null; now: Date }>(
    q,
    // The zero version the migration seeds at the epoch is not a price anyone set.
    `SELECT least((SELECT min(effective_from) FROM price_versions WHERE effective_from > timestamptz 'epoch'),
                  (SELECT min(occurred_at) FROM usage_events)) AS earliest, now() AS now`,
  );
  const earliest = row?.earliest ? billingPeriodAt(new Date(row.earliest).getTime()).startMs : null;
  return { earliestMs: earliest, currentMs: billingPeriodAt(new Date(row!.now).getTime()).startMs };
}

/**
 * Why `period` is outside what can be shown (a month not yet begun) or, with `closing`, closed (also: before anything
 * was priced or metered, which would freeze an empty month for good); null when it is inside.
 */
export function periodOutOfRange(period: BillingPeriod, b: PeriodBounds, closing: boolean): string | null {
  if (period.startMs > b.currentMs) return `period ${period.label} has not begun`;
  if (!closing) return null;
  if (b.earliestMs === null) return `nothing has been priced or metered yet, so there is no period to close`;
  if (period.startMs < b.earliestMs)
    return `period ${period.label} is before the first month with prices or usage (${billingPeriodAt(b.earliestMs).label})`;
  return null;
}
