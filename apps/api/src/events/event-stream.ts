import type { Response } from 'express';
import type { Logger } from 'pino';
import { eventBody, matchesTypes, type EventRecord, type EventRepository } from '@xenplane/core';
import type { EventHub, EventSubscriber } from './event-hub.service.js';

// One page of catch-up, and the most a slow client holds beyond its socket buffer before it is read from the log again.
const PAGE = 500;

export interface StreamOptions {
  /** null: every tenant's events (an operator without ?tenantId=). */
  tenantId: string | null;
  /** The last event id the client has; everything after it is sent. */
  after: number;
  /** Type prefixes; empty: every type. */
  types: string[];
  /** false: send what is in the log after `after`, then end. */
  follow: boolean;
  /** false: frames without an `event:` line, so an EventSource's `onmessage` gets every type (the type is in the data). */
  named?: boolean;
}

/** One event in SSE framing: the id is what a reconnect sends back as Last-Event-ID. */
export function sseFrame(e: EventRecord, named = true): string {
  return `id: ${String(e.id)}\n${named ? `event: ${e.type}\n` : ''}data: ${JSON.stringify(eventBody(e))}\n\n`;
}

/**
 * One client's stream: it catches up from the log (pages, own queries) until it reaches the hub's head, then takes
 * the hub's batches. A client whose socket stops draining drops back to catching up, so it never holds more than a
 * page in memory and never misses an event.
 */
export class EventStream implements EventSubscriber {
  private position: number;
  private live = false;
  private closed = false;

  constructor(
    private readonly res: Response,
    private readonly opts: StreamOptions,
    private readonly hub: EventHub,
    private readonly events: EventRepository,
    private readonly logger: Logger,
    private readonly release: () => void = () => undefined,
  ) {
    this.position = opts.after;
  }

  async run(): Promise<void> {
    this.res.status(200);
    this.res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    this.res.setHeader('Cache-Control', 'no-cache, no-transform');
    this.res.setHeader('X-Accel-Buffering', 'no');
    this.res.flushHeaders();
    this.res.socket?.setNoDelay(true);
    const unsubscribe = this.hub.subscribe(this);
    this.res.on('close', () => {
      this.closed = true;
      unsubscribe();
      this.release();
    });
    this.res.write(`: xenplane events after ${String(this.position)}\nretry: 3000\n\n`);
    await this.catchUp();
  }

  offer(batch: EventRecord[], through: number): void {
    if (!this.live || this.closed) return;
    const drained = this.send(batch.filter((e) => e.id > this.position && this.visible(e)));
    this.position = Math.max(this.position, through);
    if (!drained) this.lag();
  }

  heartbeat(): void {
    if (this.live && !this.closed) this.res.write(': keep-alive\n\n');
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.res.end();
  }

  private visible(e: EventRecord): boolean {
    if (this.opts.tenantId !== null && e.tenantId !== this.opts.tenantId) return false;
    return matchesTypes(this.opts.types, e.type);
  }

  /** Writes the events; false when the socket's buffer is full (the rest waits for its drain). */
  private send(events: EventRecord[]): boolean {
    let drained = true;
    for (const e of events) drained = this.res.write(sseFrame(e, this.opts.named !== false));
    return drained;
  }

  private lag(): void {
    this.live = false;
    this.res.once('drain', () => void this.catchUp());
  }

  private async catchUp(): Promise<void> {
    try {
      while (!this.closed) {
        // Everything up to the head the hub has read was committed before this query began: the query sees it all.
        const seen = this.hub.head;
        const page = await this.events.after(this.opts.tenantId, this.position, PAGE);
        if (this.closed) return;
        const drained = this.send(page.filter((e) => this.visible(e)));
        if (page.length) this.position = page.at(-1)!.id;
        if (page.length === PAGE) {
          if (!drained) return this.lag();
          continue;
        }
        this.position = Math.max(this.position, seen);
        if (!this.opts.follow) return this.end();
        if (!drained) return this.lag();
        if (this.position >= this.hub.head) {
          this.live = true;
          return;
        }
      }
    } catch (err) {
      // The client reconnects with Last-Event-ID and loses nothing; a stream that cannot read the log ends.
      this.logger.warn({ err: (err as Error).message }, 'event stream could not read the log; closing it');
      this.end();
    }
  }
}
