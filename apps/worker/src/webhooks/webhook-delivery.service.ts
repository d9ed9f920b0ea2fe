import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import {
  AdvisoryLocks,
  EventRepository,
  LOGGER,
  NotificationListener,
  SecretBox,
  WebhookRepository,
  caught,
  eventBody,
  matchesTypes,
  type WebhookEntity,
} from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { LockedPass } from '../locks/locked-pass.js';
import { sendWebhook } from './webhook-sender.js';

const DUE_BATCH = 50;
const EVENT_PAGE = 100;
// Receivers delivered to at once; within one webhook deliveries are strictly one after another.
const PARALLEL = 8;

/**
 * Delivers the event log to webhooks, one worker at a time (LockedPass), woken by NOTIFY events: each webhook from its
 * cursor, in event order, one event at a time; a failure stops that webhook until its backoff is due, and an event
 * undeliverable for WEBHOOK_RETRY_FOR_MS fails the webhook. The cursor moves only after a 2xx (at least once).
 */
@Injectable()
export class WebhookDeliveryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pass: LockedPass;
  private readonly box: SecretBox | undefined;
  private unlisten?: () => Promise<void>;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly webhooks: WebhookRepository,
    private readonly events: EventRepository,
    private readonly notifications: NotificationListener,
    locks: AdvisoryLocks,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.box = config.USER_DATA_KEY ? new SecretBox(config.USER_DATA_KEY) : undefined;
    this.pass = new LockedPass(locks, 'webhooks', () => this.deliverDue(), config.WEBHOOK_POLL_MS, caught(logger, 'webhooks', undefined));
  }

  async onApplicationBootstrap(): Promise<void> {
    this.unlisten = await this.notifications
      .listen('events', () => void this.pass.kick())
      .catch(caught(this.logger, 'webhooks: LISTEN (timer only)', undefined));
    this.pass.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.unlisten?.();
    await this.pass.stop();
  }

  /** A pass now (tests); resolves when it ends. */
  kick(): Promise<void> {
    return this.pass.kick();
  }

  private async deliverDue(): Promise<void> {
    for (;;) {
      const due = await this.webhooks.due(DUE_BATCH);
      const queue = [...due];
      await Promise.all(
        Array.from({ length: Math.min(PARALLEL, queue.length) }, async () => {
          for (let w = queue.shift(); w; w = queue.shift()) await this.deliver(w);
        }),
      );
      if (due.length < DUE_BATCH) return;
    }
  }

  /** The signing secret: sealed by the API with USER_DATA_KEY (or a row from before sealing, until the API seals it). */
  private secretOf(w: WebhookEntity): string | Error {
    if (!w.secretSealed) return w.secret ?? new Error('the webhook has no secret');
    if (!this.box) return new Error("the webhook's secret is sealed but USER_DATA_KEY is not set on this worker");
    try {
      return this.box.open(w.secretSealed);
    } catch {
      return new Error("the webhook's secret does not open under this worker's USER_DATA_KEY (another key sealed it)");
    }
  }

  private async deliver(w: WebhookEntity): Promise<void> {
    let cursor = Number(w.cursor);
    const secret = this.secretOf(w);
    if (secret instanceof Error) return this.failed(w, cursor, secret.message, null);
    for (;;) {
      const page = await this.events.after(w.tenantId, cursor, EVENT_PAGE);
      for (const e of page) {
        if (!matchesTypes(w.events, e.type)) {
          cursor = e.id;
          continue;
        }
        const sent = await sendWebhook(w.url, secret, e, JSON.stringify(eventBody(e)), {
          timeoutMs: this.config.WEBHOOK_TIMEOUT_MS,
          allowPrivate: this.config.WEBHOOK_ALLOW_PRIVATE,
        });
        if (!sent.ok) return this.failed(w, cursor, sent.error ?? 'failed', sent.statusCode);
        cursor = e.id;
        // Recorded per event: a crash re-sends at most the one event in flight.
        if (!(await this.webhooks.record(this.ds.manager, w.id, { ok: true, cursor, statusCode: sent.statusCode }))) return;
        w.attempts = 0;
        w.failingSince = null;
      }
      if (page.length < EVENT_PAGE) break;
    }
    await this.webhooks.record(this.ds.manager, w.id, { ok: true, cursor, statusCode: null });
  }

  private async failed(w: WebhookEntity, cursor: number, error: string, statusCode: number | null): Promise<void> {
    const attempts = w.attempts + 1;
    const delay = Math.min(this.config.WEBHOOK_RETRY_BASE_MS * 2 ** Math.min(attempts - 1, 30), this.config.WEBHOOK_RETRY_MAX_MS);
    const giveUp = w.failingSince !== null && Date.now() - new Date(w.failingSince).getTime() >= this.config.WEBHOOK_RETRY_FOR_MS;
    await this.webhooks.record(this.ds.manager, w.id, { ok: false, cursor, error, statusCode, nextAttemptAt: new Date(Date.now() + delay), giveUp });
    if (giveUp) this.logger.warn({ webhookId: w.id, tenantId: w.tenantId, error }, 'webhook failed: an event could not be delivered in time');
  }
}
