import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { jobOptions, LOGGER, NotificationListener, OutboxRepository, QueueName, type OperationJobData, type OutboxMessage } from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';

const BATCH = 200;
const ENQUEUE_TIMEOUT_MS = 5000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`queue did not accept the jobs within ${ms} ms`)), ms);
    }),
  ]);
}

/**
 * Moves committed outbox rows into BullMQ with jobId = operationId, so a crash or a second relay can never
 * run an operation twice; rows stay undispatched (and are retried) while Redis is unreachable.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly queues: Map<string, Queue>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly notifications: NotificationListener,
    @InjectQueue(QueueName.VmLifecycle) vmQueue: Queue,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.queues = new Map([[QueueName.VmLifecycle, vmQueue]]);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.unlisten = await this.notifications.listen('outbox', () => this.kick()).catch((err: unknown) => {
      this.logger.warn({ err }, 'outbox LISTEN unavailable; polling only');
      return undefined;
    });
    this.timer = setInterval(() => this.kick(), this.config.OUTBOX_POLL_MS);
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.unlisten?.();
  }

  /** Runs a drain now, or right after the one in progress. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drainAll().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async drainAll(): Promise<void> {
    try {
      while (!this.stopped && (await this.outbox.drain(BATCH, (msgs) => this.dispatch(msgs))) === BATCH);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'outbox relay could not dispatch; will retry');
    }
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
    );
  }
}
