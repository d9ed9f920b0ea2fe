import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { jobOptions, withTimeout, LOGGER, NotificationListener, OutboxRepository, PeriodicTask, QueueName, type OperationJobData, type OutboxMessage } from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';

const BATCH = 200;
const ENQUEUE_TIMEOUT_MS = 5000;

/**
 * Moves committed outbox rows into BullMQ with jobId = operationId, so a crash or a second relay can never
 * run an operation twice; rows stay undispatched (and are retried) while Redis is unreachable.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly queues: Map<string, Queue>;
  private readonly task: PeriodicTask;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly notifications: NotificationListener,
    @InjectQueue(QueueName.VmLifecycle) vmQueue: Queue,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.queues = new Map([[QueueName.VmLifecycle, vmQueue]]);
    this.task = new PeriodicTask(() => this.drainAll(), config.OUTBOX_POLL_MS, (err) =>
      this.logger.warn({ err: (err as Error).message }, 'outbox relay could not dispatch; will retry'));
  }

  async onApplicationBootstrap(): Promise<void> {
    this.unlisten = await this.notifications.listen('outbox', () => void this.task.kick()).catch((err: unknown) => {
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
    while ((await this.outbox.drain(BATCH, (msgs) => this.dispatch(msgs))) === BATCH);
  }

  private async dispatch(msgs: OutboxMessage[]): Promise<void> {
    await withTimeout(
      Promise.all(
        msgs.map((m) => {
          const queue = this.queues.get(m.queue);
          if (!queue) throw new Error(`outbox row ${m.id} names unknown queue ${m.queue}`);
          const data: OperationJobData = { tenantId: m.tenantId, operationId: m.operationId };
          return queue.add(m.jobName, data, { ...jobOptions(this.config.JOB_BACKOFF_MS), jobId: m.operationId });
        }),
      ),
      ENQUEUE_TIMEOUT_MS,
      `queue did not accept the jobs within ${ENQUEUE_TIMEOUT_MS} ms`,
    );
  }
}
