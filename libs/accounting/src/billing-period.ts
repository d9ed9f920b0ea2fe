/** Billing periods are UTC calendar months (accounting.md §2.4), labelled `YYYY-MM` as in /v1/billing/export. */
export interface BillingPeriod {
  readonly label: string;
  /** Inclusive start, first instant of the month, UTC. */
  readonly startMs: number;
  /** Exclusive end, first instant of the next month, UTC. */
  readonly endMs: number;
}

const LABEL = /^(2\d{3})-(0[1-9]|1[0-2])$/;
/** `YYYY-MM` of a year 2000-2999: what every `period` parameter accepts. */
export const BILLING_PERIOD_PATTERN = /^2\d{3}-(0[1-9]|1[0-2])$/;
// FOCUS Date/Time: extended ISO 8601, UTC, whole seconds, `Z` (DateTimeFormat attribute).
const FOCUS_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

function periodOf(year: number, monthIndex: number): BillingPeriod {
  const startMs = Date.UTC(year, monthIndex, 1);
  const endMs = Date.UTC(year, monthIndex + 1, 1);
  return { label: `${String(year).padStart(4, '0')}-${String(monthIndex + 1).padStart(2, '0')}`, startMs, endMs };
}

/** Parses `YYYY-MM` (years 2000-2999); anything else (`2026-1`, `2026-13`, `2026-01-01`, `0050-01`) is refused. */
export function parseBillingPeriod(label: string): BillingPeriod {
  const m = LABEL.exec(label);
  if (!m) throw new RangeError(`${JSON.stringify(label)} is not a period (YYYY-MM)`);
  return periodOf(Number(m[1]), Number(m[2]) - 1);
}

/** The period containing an instant. */
export function billingPeriodAt(ms: number): BillingPeriod {
  const d = new Date(ms);
  return periodOf(d.getUTCFullYear(), d.getUTCMonth());
}

export function nextBillingPeriod(period: BillingPeriod): BillingPeriod {
  return billingPeriodAt(period.endMs);
}

/** `YYYY-MM-DDTHH:mm:ssZ`; the instant must be a whole second (every bound we emit is). */
export function formatFocusDateTime(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms % 1000 !== 0) throw new RangeError(`${ms} is not a whole second`);
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Strict FOCUS Date/Time parse to ms, or null (wrong shape, or a date that does not exist like 02-30). */
export function parseFocusDateTime(text: string): number | null {
  const m = FOCUS_DATETIME.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls 02-30 over to 03-02; a round trip exposes it.
  return formatFocusDateTime(ms) === text ? ms : null;
}
