import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';

export type NotifyChannel = 'outbox' | 'pools' | 'dataplane' | 'provider_networks' | 'events';
type Handler = (payload: string) => void;

/** Postgres LISTEN on one dedicated connection shared by every channel: commits wake workers at once instead of at their next poll. */
@Injectable()
export class NotificationListener {
  private client?: Promise<pg.Client>;
  private readonly handlers = new Map<string, Set<Handler>>();

  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Calls `onNotify` for each NOTIFY on `channel`; returns a closer. A broken connection only costs latency. */
  async listen(channel: NotifyChannel, onNotify: Handler): Promise<() => Promise<void>> {
    const client = await this.connection();
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      await client.query(`LISTEN ${channel}`);
    }
    set.add(onNotify);
    return async () => {
      if (!set.delete(onNotify) || set.size > 0) return;
      this.handlers.delete(channel);
      if (this.handlers.size === 0) await this.close();
      else await client.query(`UNLISTEN ${channel}`).catch(() => undefined);
    };
  }

  private connection(): Promise<pg.Client> {
    this.client ??= (async () => {
      const opts = this.ds.options as { url?: string; applicationName?: string };
      const client = new pg.Client({ connectionString: opts.url, application_name: `${opts.applicationName ?? 'xenplane'}-listen` });
      client.on('notification', (n) => this.handlers.get(n.channel)?.forEach((h) => h(n.payload ?? '')));
      client.on('error', () => undefined);
      await client.connect();
      return client;
    })().catch((e: unknown) => {
      this.client = undefined;
      throw e;
    });
    return this.client;
  }

  private async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await (await client).end().catch(() => undefined);
  }
}
