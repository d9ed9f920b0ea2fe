import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';

/** Ownership of one named lock; `lost` aborts if the lock session breaks (another worker may own it then). */
export interface LockLease {
  readonly name: string;
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

interface Session {
  client: Promise<pg.Client>;
  /** Ends the session and tells every holder its lock is gone. */
  kill: () => void;
}

const TRY = `SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok`;
const UNLOCK = `SELECT pg_advisory_unlock(hashtextextended($1, 0))`;
// A session that cannot answer this fast is treated as lost (its locks may already be someone else's).
const QUERY_TIMEOUT_MS = 15_000;

/**
 * Postgres advisory locks for work that must have one owner at a time across every worker. Every lock a process
 * holds lives on ONE dedicated session (opened on first use, reopened after a loss), never on a pooled connection:
 * owning a thousand pools or hosts costs one connection, and the pool stays for the work itself.
 */
@Injectable()
export class AdvisoryLocks implements OnApplicationShutdown {
  private session: Session | undefined;
  /** Names held (or being taken) by this process: Postgres would grant a session's own lock twice. */
  private readonly held = new Map<string, AbortController>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Takes `name` and keeps it until released or the session is lost; null if someone (here or elsewhere) has it. */
  async tryHold(name: string): Promise<LockLease | null> {
    if (this.closed || this.held.has(name)) return null;
    const ctl = new AbortController();
    this.held.set(name, ctl);
    let ok = false;
    try {
      ok = (await this.query(TRY, name)).rows[0]?.ok === true;
    } finally {
      if (!ok && this.held.get(name) === ctl) this.held.delete(name);
    }
    if (!ok || ctl.signal.aborted) return null; // someone has it, or the session went while we asked
    return { name, lost: ctl.signal, release: () => this.release(name, ctl) };
  }

  /** Runs `fn` if nobody else holds `name`; returns false (without running it) if someone does. */
  async tryWith(name: string, fn: (lost: AbortSignal) => Promise<void>): Promise<boolean> {
    const lease = await this.tryHold(name);
    if (!lease) return false;
    try {
      await fn(lease.lost);
    } finally {
      await lease.release();
    }
    return true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.session?.kill();
  }

  private async release(name: string, ctl: AbortController): Promise<void> {
    if (this.held.get(name) !== ctl) return; // lost with its session, or already released
    this.held.delete(name);
    if (this.session) await this.query(UNLOCK, name).catch(() => undefined);
  }

  /** One statement at a time on the session; a failed one means the session is gone. */
  private query(sql: string, name: string): Promise<pg.QueryResult<{ ok?: boolean }>> {
    const run = this.queue.then(async () => {
      const session = this.open();
      try {
        return await (await session.client).query<{ ok?: boolean }>({ text: sql, values: [name], query_timeout: QUERY_TIMEOUT_MS } as pg.QueryConfig);
      } catch (err) {
        session.kill();
        throw err;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private open(): Session {
    if (this.session) return this.session;
    const opts = this.ds.options as { url?: string; applicationName?: string };
    const client = new pg.Client({ connectionString: opts.url, application_name: `${opts.applicationName ?? 'xenplane'}-locks`, keepAlive: true });
    const session: Session = {
      client: client.connect().then(() => client),
      kill: () => {
        if (this.session !== session) return;
        this.session = undefined;
        const holders = [...this.held.values()];
        this.held.clear();
        for (const ctl of holders) ctl.abort(new Error('lock session lost'));
        void client.end().catch(() => undefined); // a broken session must not keep a lock behind our back
      },
    };
    client.on('error', session.kill);
    client.on('end', session.kill);
    session.client.catch(session.kill);
    this.session = session;
    return session;
  }
}
