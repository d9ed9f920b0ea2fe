import { Inject, type OnModuleInit } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { DelayedError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { LOGGER, QueueName, type OperationJobData } from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { OperationBusyError, OperationRunner } from './operation-runner.js';

/** The lifecycle queue's consumer; every job goes through the one runner. */
// Started in onModuleInit once the configured lock timings are applied; a stalled job is retried, never dropped.
@Processor(QueueName.VmLifecycle, { autorun: false, maxStalledCount: 1_000 })
export class OperationsProcessor extends WorkerHost implements OnModuleInit {
  constructor(
    private readonly runner: OperationRunner,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super();
  }

  onModuleInit(): void {
    this.worker.concurrency = this.config.WORKER_CONCURRENCY;
    // A killed worker's jobs are picked up again after one lock period.
    Object.assign(this.worker.opts, { lockDuration: this.config.WORKER_LOCK_MS, stalledInterval: this.config.WORKER_LOCK_MS });
    void this.worker.run().catch((err: unknown) => this.logger.error({ err }, 'queue worker stopped'));
  }

  async process(job: Job<OperationJobData>, token?: string): Promise<void> {
    try {
      await this.runner.run(job);
    } catch (err) {
      if (!(err instanceof OperationBusyError)) throw err;
      // A second delivery of a running operation waits its turn; delayed, not failed, so it spends no attempt, and it
      // comes back to find the operation finished, or to run the retry the first delivery (its lock lost) cannot schedule.
      await job.moveToDelayed(Date.now() + Math.ceil(this.config.WORKER_LOCK_MS / 2), token);
      throw new DelayedError();
    }
  }
}
