import { Inject, type OnModuleInit } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { LOGGER, QueueName, type OperationJobData } from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { OperationRunner } from './operation-runner.js';

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

  process(job: Job<OperationJobData>): Promise<void> {
    return this.runner.run(job);
  }
}
