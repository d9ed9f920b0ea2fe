import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { DomainError, EventRepository, LOGGER, NotificationListener, PeriodicTask, caught, type EventRecord } from '@xenplane/core';
import { API_CONFIG, type ApiConfig } from '../config/api-env.js';

/** A stream the hub feeds: `offer` gets each new batch in id order, `heartbeat` a keep-alive, `end` the shutdown. */
export interface EventSubscriber {
  offer(batch: EventRecord[], through: number): void;
  heartbeat(): void;
  end(): void;
}

// A missed NOTIFY (a reconnecting listener) costs at most this much latency.
const SAFETY_POLL_MS = 5000;
const BATCH = 500;

/**
 * The one reader of the event log in this API process: NOTIFY events wakes it, it reads what committed after its
 * head once and hands the batch to every open stream (no query per client), and it beats the streams' heartbeats.
 */
@Injectable()
export class EventHub implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly subscribers = new Set<EventSubscriber>();
  /** Open streams per `tenant:<id>` and `key:<id>`, for the limits. */
  private readonly open = new Map<string, number>();
  private readonly task: PeriodicTask;
  private heartbeat?: NodeJS.Timeout;
  private unlisten?: () => Promise<void>;
  /** The newest event id this process has read (and handed out). */
  head = 0;

  constructor(
    private readonly events: EventRepository,
    private readonly notifications: NotificationListener,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.task = new PeriodicTask(() => this.read(), SAFETY_POLL_MS, caught(logger, 'event-hub', undefined));
  }

  async onApplicationBootstrap(): Promise<void> {
    this.head = await this.events.head();
    this.unlisten = await this.notifications
      .listen('events', () => void this.task.kick())
      .catch(caught(this.logger, 'event hub: LISTEN (polling only)', undefined));
    this.task.start(false);
    this.heartbeat = setInterval(() => this.subscribers.forEach((s) => s.heartbeat()), this.config.EVENTS_HEARTBEAT_MS);
  }

  /** Streams end before the HTTP server closes, so a shutdown never waits on a client that keeps listening. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.unlisten?.();
    await this.task.stop();
    for (const s of [...this.subscribers]) s.end();
    this.subscribers.clear();
  }

  /**
   * Counts a stream against its tenant's and key's limits (EVENTS_MAX_STREAMS_PER_*) in this process, before any byte is
   * sent, so a refusal is a problem+json 429; the answer releases the slot (once, whenever the stream ends).
   */
  admit(tenantId: string | null, keyId: string): () => void {
    const tenant = `tenant:${tenantId ?? 'operators'}`;
    const key = `key:${keyId}`;
    const limits: [string, number, string][] = [
      [key, this.config.EVENTS_MAX_STREAMS_PER_KEY, 'this API key'],
      [tenant, this.config.EVENTS_MAX_STREAMS_PER_TENANT, "this tenant's keys together"],
    ];
    for (const [slot, limit, who] of limits) {
      const open = this.open.get(slot) ?? 0;
      if (open >= limit)
        throw new DomainError('stream_limit_reached', `${who} already has ${open} open event streams (at most ${limit}); close one first`, {
          limit,
          open,
        });
    }
    for (const [slot] of limits) this.open.set(slot, (this.open.get(slot) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const [slot] of limits) {
        const left = (this.open.get(slot) ?? 1) - 1;
        if (left > 0) this.open.set(slot, left);
        else this.open.delete(slot);
      }
    };
  }

  subscribe(s: EventSubscriber): () => void {
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  get streams(): number {
    return this.subscribers.size;
  }

  /** A read now (or right after the running one): streams catching up call it to learn the head. */
  refresh(): Promise<void> {
    return this.task.kick();
  }

  private async read(): Promise<void> {
    if (this.subscribers.size === 0) {
      this.head = Math.max(this.head, await this.events.head());
      return;
    }
    for (;;) {
      const batch = await this.events.after(null, this.head, BATCH);
      if (!batch.length) return;
      this.head = batch.at(-1)!.id;
      for (const s of [...this.subscribers]) s.offer(batch, this.head);
      if (batch.length < BATCH) return;
    }
  }
}
