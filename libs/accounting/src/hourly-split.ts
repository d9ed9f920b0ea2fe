import { compareStrings } from '@xenplane/core';
import { addDecimals, decimalFromInteger, formatDecimal, multiplyDecimals, parseDecimal, type Decimal } from './decimal.js';
import { deriveIntervals, type IntervalAnomaly, type UsageInterval } from './intervals.js';
import type { Sku } from './skus.js';
import { QUANTITY_SCALE, type UsageEvent } from './usage-events.js';

export const HOUR_MS = 3_600_000;
export const SECONDS_PER_HOUR = 3600;

/** A half-open UTC window `[fromMs, toMs)` on whole hours. */
export interface TimeWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

/** Seconds one interval contributes to one hour, at one size. */
export interface HourSlice {
  readonly tenantId: string;
  readonly regionId: string;
  readonly resourceId: string;
  readonly sku: Sku;
  readonly hourStartMs: number;
  readonly quantity: string;
  readonly seconds: number;
}

/**
 * Metered usage of one resource and SKU in one UTC hour `[hourStartMs, hourStartMs + 1h)`: one row even when
 * the size changed mid-hour (accounting.md §2.4, the usage_record grain).
 */
export interface UsageRecord {
  readonly tenantId: string;
  readonly regionId: string;
  readonly resourceId: string;
  readonly sku: Sku;
  readonly hourStartMs: number;
  /** Active seconds in the hour, 0..3600. */
  readonly seconds: number;
  /** Σ seconds × size, exact, at scale QUANTITY_SCALE: the FOCUS ConsumedQuantity. */
  readonly consumedQuantity: string;
}

export function assertHourWindow(window: TimeWindow): void {
  const { fromMs, toMs } = window;
  if (!Number.isSafeInteger(fromMs) || !Number.isSafeInteger(toMs) || fromMs % HOUR_MS !== 0 || toMs % HOUR_MS !== 0 || fromMs >= toMs) {
    throw new RangeError(`window [${fromMs}, ${toMs}) must be non-empty and on whole UTC hours`);
  }
}

/**
 * Cuts intervals at every UTC hour inside the window. Bounds are whole seconds, so each slice is an integer
 * number of seconds and the slices of an interval add up to exactly its clipped length: no gap or overlap at
 * hour, day or month boundaries (there is nothing else in UTC: no DST, and JS time has no leap seconds).
 */
export function splitHourly(intervals: Iterable<UsageInterval>, window: TimeWindow): HourSlice[] {
  assertHourWindow(window);
  const slices: HourSlice[] = [];
  for (const iv of intervals) {
    const start = Math.max(iv.startMs, window.fromMs);
    const end = Math.min(iv.endMs ?? Number.POSITIVE_INFINITY, window.toMs);
    if (start % 1000 !== 0 || end % 1000 !== 0) throw new RangeError('interval bounds must be whole seconds');
    for (let hour = start - (start % HOUR_MS); hour < end; hour += HOUR_MS) {
      const seconds = (Math.min(end, hour + HOUR_MS) - Math.max(start, hour)) / 1000;
      if (seconds <= 0) continue;
      const { tenantId, regionId, resourceId, sku, quantity } = iv;
      slices.push({ tenantId, regionId, resourceId, sku, hourStartMs: hour, quantity, seconds });
    }
  }
  return slices.sort(compareSlices);
}

function compareSlices(a: HourSlice, b: HourSlice): number {
  return compareUsageRecords(a, b) || compareStrings(a.quantity, b.quantity);
}

/**
 * Folds slices into one record per (tenant, pool, resource, sku, hour). Throws if a resource-SKU-hour would
 * exceed 3600 s, which only overlapping intervals can cause.
 */
export function aggregateHourly(slices: Iterable<HourSlice>): UsageRecord[] {
  const groups = new Map<string, { first: HourSlice; seconds: number; consumed: Decimal }>();
  for (const s of slices) {
    const key = JSON.stringify([s.tenantId, s.regionId, s.resourceId, s.sku, s.hourStartMs]);
    const g = groups.get(key) ?? { first: s, seconds: 0, consumed: decimalFromInteger(0) };
    g.seconds += s.seconds;
    g.consumed = addDecimals(g.consumed, multiplyDecimals(decimalFromInteger(s.seconds), parseDecimal(s.quantity)));
    groups.set(key, g);
  }
  const records: UsageRecord[] = [];
  const perResourceHour = new Map<string, number>();
  for (const { first, seconds, consumed } of groups.values()) {
    const rhKey = JSON.stringify([first.resourceId, first.sku, first.hourStartMs]);
    const total = (perResourceHour.get(rhKey) ?? 0) + seconds;
    if (total > SECONDS_PER_HOUR) throw new Error(`${first.resourceId} ${first.sku} has ${total} s in one hour: overlapping intervals`);
    perResourceHour.set(rhKey, total);
    const { tenantId, regionId, resourceId, sku, hourStartMs } = first;
    records.push({ tenantId, regionId, resourceId, sku, hourStartMs, seconds, consumedQuantity: formatDecimal(consumed, QUANTITY_SCALE) });
  }
  return records.sort(compareUsageRecords);
}

/** Record order: tenant, hour, resource, sku, pool (code-unit order, so the same everywhere). */
export function compareUsageRecords(
  a: Pick<UsageRecord, 'tenantId' | 'hourStartMs' | 'resourceId' | 'sku' | 'regionId'>,
  b: Pick<UsageRecord, 'tenantId' | 'hourStartMs' | 'resourceId' | 'sku' | 'regionId'>,
): number {
  return (
    compareStrings(a.tenantId, b.tenantId) ||
    a.hourStartMs - b.hourStartMs ||
    compareStrings(a.resourceId, b.resourceId) ||
    compareStrings(a.sku, b.sku) ||
    compareStrings(a.regionId, b.regionId)
  );
}

/** The identity of a record across recomputations (accounting.md §2.4 usage_record key, minus the price version). */
export function usageRecordKey(r: Pick<UsageRecord, 'resourceId' | 'sku' | 'hourStartMs'>): string {
  return JSON.stringify([r.resourceId, r.sku, r.hourStartMs]);
}

/** Events → intervals → hourly records for one window: the whole pure metering pipeline. */
export function meterWindow(events: Iterable<UsageEvent>, window: TimeWindow): { records: UsageRecord[]; anomalies: IntervalAnomaly[] } {
  const { intervals, anomalies } = deriveIntervals(events);
  return { records: aggregateHourly(splitHourly(intervals, window)), anomalies };
}
