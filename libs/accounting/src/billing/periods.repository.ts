import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { one, rows } from '@xenplane/core';
import type { BillingPeriod } from '../billing-period.js';
import type { ProviderIdentity } from '../focus-row.js';
import { exportChunks, focusChunks, periodRows, sha256Of, type ExportFormat } from './billing-export.js';
import { periodBounds, periodOutOfRange, type PeriodBounds } from './period-bounds.js';

export interface ClosedPeriod {
  period: string;
  closedAt: Date;
  sha256: string;
}

export type CloseOutcome =
  | ClosedPeriod
  | { refused: 'already_closed'; closed: ClosedPeriod }
  | { refused: 'not_rated'; ratedThrough: Date | null }
  | { refused: 'out_of_range'; reason: string; bounds: PeriodBounds };

const CLOSED_COLUMNS = `to_char(period, 'YYYY-MM') AS period, closed_at AS "closedAt", sha256`;

/** Billing periods: streaming a period's file, closing it (frozen, fingerprinted), listing closed ones. */
@Injectable()
export class PeriodsRepository {
  constructor(@InjectDataSource() readonly ds: DataSource) {}

  /** Streams the file; the snapshot's transaction stays open until the consumer finishes or stops reading. */
  async *stream(period: BillingPeriod, format: ExportFormat, provider: ProviderIdentity, tenantId?: string): AsyncGenerator<string> {
    // A generator outlives any callback, so it holds its own runner instead of ds.transaction's.
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('REPEATABLE READ');
      yield* format === 'focus'
        ? focusChunks(runner.manager, period, provider, tenantId)
        : exportChunks(periodRows(runner.manager, period, tenantId), format, provider);
      await runner.commitTransaction();
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
  }

  /** The months a period may name (database clock). */
  bounds(): Promise<PeriodBounds> {
    return periodBounds(this.ds.manager);
  }

  async closed(period?: BillingPeriod): Promise<ClosedPeriod[]> {
    return rows<ClosedPeriod>(
      this.ds.manager,
      `SELECT ${CLOSED_COLUMNS} FROM billing_periods WHERE ($1::date IS NULL OR period = $1::date) ORDER BY period`,
      [period ? new Date(period.startMs).toISOString().slice(0, 10) : null],
    );
  }

  /**
   * Freezes a period whose every hour is rated: fingerprints its FOCUS file and records it. `tx` (REPEATABLE READ, the
   * caller's) then holds the aggregator's lock, so no late row can slip in between the hash and the close.
   */
  async close(tx: EntityManager, period: BillingPeriod, provider: ProviderIdentity): Promise<CloseOutcome> {
    const start = new Date(period.startMs).toISOString().slice(0, 10);
    await rows(tx, `SELECT pg_advisory_xact_lock(hashtextextended('usage-aggregator', 0))`);
    const bounds = await periodBounds(tx);
    const reason = periodOutOfRange(period, bounds, true);
    if (reason) return { refused: 'out_of_range', reason, bounds };
    const done = await one<ClosedPeriod>(tx, `SELECT ${CLOSED_COLUMNS} FROM billing_periods WHERE period = $1`, [start]);
    if (done) return { refused: 'already_closed', closed: done };
    const w = await one<{ through: Date }>(tx, `SELECT through FROM usage_watermark WHERE id = 1`);
    const through = w ? new Date(w.through) : null;
    if (!through || through.getTime() < period.endMs) return { refused: 'not_rated', ratedThrough: through };
    const sha256 = await sha256Of(focusChunks(tx, period, provider));
    const row = await one<ClosedPeriod>(
      tx,
      `INSERT INTO billing_periods (period, closed_at, sha256) VALUES ($1, now(), $2) RETURNING ${CLOSED_COLUMNS}`,
      [start, sha256],
    );
    return row!;
  }
}
