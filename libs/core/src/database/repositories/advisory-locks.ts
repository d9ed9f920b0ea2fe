import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';

/** Long-held locks on one dedicated connection: many owned resources cost one connection, not one each. */
export interface LockSession {
  tryLock(name: string): Promise<boolean>;
  unlock(name: string): Promise<void>;
  /** Ends the session; every lock it held is released by Postgres. */
  close(): Promise<void>;
}

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

  /** Opens a lock session; `onLost` runs once if its connection breaks (all its locks are gone then). */
  async openSession(onLost: (err: Error) => void): Promise<LockSession> {
    const client = new pg.Client({ connectionString: (this.ds.options as { url?: string }).url });
    let closed = false;
    client.on('error', (err) => {
      if (!closed) onLost(err);
      closed = true;
    });
    client.on('end', () => {
      if (!closed) onLost(new Error('lock session ended'));
      closed = true;
    });
    await client.connect();
    return {
      tryLock: async (name) => (await client.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok`, [name])).rows[0].ok === true,
      unlock: async (name) => {
        await client.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [name]);
      },
      close: async () => {
        closed = true;
        await client.end().catch(() => undefined);
      },
    };
  }
}
