import type { DataSource } from 'typeorm';
import { one } from '@xenplane/core';
import { deriveLifecycleIntervals } from '../metering/lifecycle-intervals.js';
import type { UsageRepository } from './usage.repository.js';

export interface AggregationResult {
  skipped: boolean;
  resourcesRederived: number;
  windowsAdded: number;
  through: Date | null;
  /** More dirty resources wait: run again. */
  more: boolean;
}

const HOUR = 3_600_000;
const floorHour = (d: Date) => new Date(Math.floor(d.getTime() / HOUR) * HOUR);

/**
 * One aggregation pass, all in one transaction (so a crash anywhere loses nothing and duplicates nothing):
 * re-derive the intervals of resources with new events, recompute their already-aggregated windows (Corrections for
 * closed periods), then add the hours that ended at least `graceMs` ago and move the watermark past them.
 */
export async function aggregateUsage(ds: DataSource, repo: UsageRepository, opts: { graceMs: number; batch?: number }): Promise<AggregationResult> {
  return ds.transaction(async (tx) => {
    const { ok, now } = (await one<{ ok: boolean; now: Date }>(
      tx,
      // JIT compiles for longer than a pass runs (its cost estimate grows with the VM count; the work stays small).
      `SELECT pg_try_advisory_xact_lock(hashtextextended('usage-aggregator', 0)) AS ok, now() AS now, set_config('jit', 'off', true)`,
    ))!;
    if (!ok) return { skipped: true, resourcesRederived: 0, windowsAdded: 0, through: null, more: false };
    let through = await repo.watermark(tx);
    if (!through) {
      through = await repo.firstEventHour(tx);
      if (!through) return { skipped: false, resourcesRederived: 0, windowsAdded: 0, through: null, more: false };
      await repo.setWatermark(tx, through);
    }
    const batch = opts.batch ?? 1000;
    const dirty = await repo.takeDirty(tx, batch);
    if (dirty.length) {
      const events = await repo.eventsOf(
        tx,
        dirty.map((d) => d.resourceId),
      );
      await repo.replaceIntervals(
        tx,
        dirty.map((r) => ({ resource: r, intervals: deriveLifecycleIntervals(r.resourceType, events.get(r.resourceId) ?? []) })),
      );
      const from = floorHour(new Date(Math.min(...dirty.map((d) => new Date(d.since).getTime()))));
      if (from < through)
        await repo.recompute(
          tx,
          dirty.map((d) => d.resourceId),
          from,
          through,
        );
    }
    const target = floorHour(new Date(new Date(now).getTime() - opts.graceMs));
    let windowsAdded = 0;
    if (target > through) {
      windowsAdded = await repo.insertWindows(tx, through, target);
      await repo.setWatermark(tx, target);
      through = target;
    }
    return { skipped: false, resourcesRederived: dirty.length, windowsAdded, through, more: dirty.length === batch };
  });
}
