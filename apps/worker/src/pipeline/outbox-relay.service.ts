import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { withTimeout, LOGGER, NotificationListener, OutboxRepository, PeriodicTask, type OutboxMessage } from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { JobEnqueuer } from './job-enqueuer.js';

const BATCH = 200;
const ENQUEUE_TIMEOUT_MS = 5000;

/**
 * Moves committed outbox rows into BullMQ with jobId = operationId, so a crash or a second relay can never
 * run an operation twice; rows stay undispatched (and are retried) while Redis is unreachable.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly task: PeriodicTask;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly outbox: OutboxRepository,
    private readonly notifications: NotificationListener,
    private readonly enqueuer: JobEnqueuer,
    @Inject(WORKER_CONFIG) config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.task = new PeriodicTask(
      () => this.drainAll(),
      config.OUTBOX_POLL_MS,
      (err) => this.logger.warn({ err: (err as Error).message }, 'outbox relay could not dispatch; will retry'),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    this.unlisten = await this.notifications
      .listen('outbox', () => void this.task.kick())
      .catch((err: unknown) => {
        this.logger.warn({ err }, 'outbox LISTEN unavailable; polling only');
        return undefined;
      });
    this.task.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task.stop();
    await this.unlisten?.();
  }

  /** Drains now (used after commits and by tests). */
  kick(): Promise<void> {
    return this.task.kick();
  }

  private async drainAll(): Promise<void> {
    // One transaction per batch: its rows stay locked (SKIP LOCKED for other relays) until they are marked dispatched.
    while ((await this.ds.transaction((tx) => this.outbox.drain(tx, BATCH, (msgs) => this.dispatch(msgs)))) === BATCH);
  }

  private async dispatch(msgs: OutboxMessage[]): Promise<void> {
    await withTimeout(
      Promise.all(msgs.map((m) => this.enqueuer.enqueue({ queue: m.queue, job: m.jobName, tenantId: m.tenantId, operationId: m.operationId }))),
      ENQUEUE_TIMEOUT_MS,
      `queue did not accept the jobs within ${ENQUEUE_TIMEOUT_MS} ms`,
    );
  }
}
