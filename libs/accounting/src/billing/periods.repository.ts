import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import type { BillingPeriod } from '../billing-period.js';
import type { ProviderIdentity } from '../focus-row.js';
import { exportChunks, periodRows, sha256Of, type ExportFormat } from './billing-export.js';
import { periodBounds, periodOutOfRange, type PeriodBounds } from './period-bounds.js';

export interface ClosedPeriod {
  period: string;
  closedAt: Date;
  sha256: string;
}

export type CloseOutcome = ClosedPeriod | { refused: 'already_closed'; closed: ClosedPeriod } | { refused: 'not_rated'; ratedThrough: Date | null }
  | { refused: 'out_of_range'; reason: string; bounds: PeriodBounds };

/** Billing periods: streaming a period's file, closing it (frozen, fingerprinted), listing closed ones. */
@Injectable()
export class PeriodsRepository {
  constructor(@InjectDataSource() readonly ds: DataSource) {}

  /** Runs `fn` with the period's rows on one REPEATABLE READ snapshot; the runner is released afterwards. */
  async withSnapshot<T>(fn: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('REPEATABLE READ');
      const out = await fn(runner);
      await runner.commitTransaction();
      return out;
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await runner.release();
    }
  }

  /** Streams the file; the snapshot's transaction stays open until the consumer finishes or stops reading. */
  async *stream(period: BillingPeriod, format: ExportFormat, provider: ProviderIdentity, tenantId?: string): AsyncGenerator<string> {
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('REPEATABLE READ');
      yield* exportChunks(periodRows(runner, period, tenantId), format, provider);
      await runner.commitTransaction();
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
  }

  /** The months a period may name (database clock). */
  bounds(): Promise<PeriodBounds> {
    return periodBounds(this.ds);
  }

  async closed(period?: BillingPeriod): Promise<ClosedPeriod[]> {
    const rows = await this.ds.query(
      `SELECT to_char(period, 'YYYY-MM') AS period, closed_at AS "closedAt", sha256 FROM billing_periods
       WHERE ($1::date IS NULL OR period = $1::date) ORDER BY period`, [period ? new Date(period.startMs).toISOString().slice(0, 10) : null]);
    return rows;
  }

  /**
   * Freezes a period whose every hour is rated: fingerprints its FOCUS file and records it, in one transaction that
   * holds the aggregator's lock, so no late row can slip in between the hash and the close.
   */
  async close(period: BillingPeriod, provider: ProviderIdentity): Promise<CloseOutcome> {
    const start = new Date(period.startMs).toISOString().slice(0, 10);
    return this.withSnapshot(async (runner) => {
      await runner.query(`SELECT pg_advisory_xact_lock(hashtextextended('usage-aggregator', 0))`);
      const bounds = await periodBounds(runner);
      const reason = periodOutOfRange(period, bounds, true);
      if (reason) return { refused: 'out_of_range' as const, reason, bounds };
      const [done] = await this.closedIn(runner, start);
      if (done) return { refused: 'already_closed' as const, closed: done };
      const [w] = await runner.query(`SELECT through FROM usage_watermark WHERE id = 1`);
      const through = w ? new Date(w.through) : null;
      if (!through || through.getTime() < period.endMs) return { refused: 'not_rated' as const, ratedThrough: through };
      const sha256 = await sha256Of(exportChunks(periodRows(runner, period), 'focus', provider));
      const [row] = await runner.query(
        `INSERT INTO billing_periods (period, closed_at, sha256) VALUES ($1, now(), $2)
         RETURNING to_char(period, 'YYYY-MM') AS period, closed_at AS "closedAt", sha256`, [start, sha256]);
      return row as ClosedPeriod;
    });
  }

  private closedIn(runner: QueryRunner, start: string): Promise<ClosedPeriod[]> {
    return runner.query(`SELECT to_char(period, 'YYYY-MM') AS period, closed_at AS "closedAt", sha256 FROM billing_periods WHERE period = $1`, [start]);
  }
}
