import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/** Postgres advisory locks for work that must have one owner at a time across every worker. */
@Injectable()
export class AdvisoryLocks {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Runs `fn` if nobody else holds `name`; returns false (without running it) if someone does. */
  async tryWith(name: string, fn: () => Promise<void>): Promise<boolean> {
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      const [row] = await runner.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok`, [name]);
      if (!(row as { ok: boolean }).ok) return false;
      try {
        await fn();
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [name]);
      }
      return true;
    } finally {
      await runner.release();
    }
  }
}
