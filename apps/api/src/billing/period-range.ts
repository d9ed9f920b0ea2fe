import {
  billingPeriodAt,
  parseBillingPeriod,
  periodOutOfRange,
  type BillingPeriod,
  type PeriodBounds,
  type PeriodsRepository,
} from '@xenplane/accounting';
import { DomainError } from '@xenplane/core';

/** 422 period_out_of_range, with the months that may be named (`earliest` null when nothing was priced or metered). */
export function outOfRangeError(reason: string, b: PeriodBounds): DomainError {
  return new DomainError('period_out_of_range', reason, {
    earliest: b.earliestMs === null ? null : billingPeriodAt(b.earliestMs).label,
    latest: billingPeriodAt(b.currentMs).label,
  });
}

/** A `period` to show (export, metadata, invoices): a month that has begun; earlier ones are simply empty. */
export async function shownPeriod(periods: PeriodsRepository, label: string): Promise<BillingPeriod> {
  const period = parseBillingPeriod(label);
  const bounds = await periods.bounds();
  const reason = periodOutOfRange(period, bounds, false);
  if (reason) throw outOfRangeError(reason, bounds);
  return period;
}
