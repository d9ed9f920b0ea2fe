import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';

/** Postgres LISTEN on a dedicated connection: commits wake workers at once instead of at their next poll. */
@Injectable()
export class NotificationListener {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Calls `onNotify` for each NOTIFY on `channel`; returns a closer. A broken connection only costs latency. */
  async listen(channel: 'outbox' | 'pools' | 'dataplane', onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    const opts = this.ds.options as { url?: string; applicationName?: string };
    const client = new pg.Client({ connectionString: opts.url, application_name: `${opts.applicationName ?? 'xenplane'}-listen` });
    client.on('notification', (n) => onNotify(n.payload ?? ''));
    client.on('error', () => undefined);
    await client.connect();
    await client.query(`LISTEN ${channel}`);
    return async () => {
      await client.end().catch(() => undefined);
    };
  }
}
