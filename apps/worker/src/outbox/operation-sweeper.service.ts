import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { AdvisoryLocks, jobOptions, LOGGER, OperationRepository, PeriodicTask, QueueName, isJobName, type OperationJobData } from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';

/**
 * Safety net behind the outbox: an operation that is not finished but whose job is gone, failed for good or
 * completed without finishing it (e.g. the database was down when it tried to record the end) is put back.
 */
@Injectable()
export class OperationSweeperService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly task: PeriodicTask;

  constructor(
    private readonly operations: OperationRepository,
    private readonly locks: AdvisoryLocks,
    @InjectQueue(QueueName.VmLifecycle) private readonly queue: Queue,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.task = new PeriodicTask(async () => void (await this.locks.tryWith('operation-sweep', () => this.sweep())), config.OPERATION_SWEEP_MS, (err) =>
      this.logger.warn({ err: (err as Error).message }, 'operation sweep failed'));
  }

  onApplicationBootstrap(): void {
    this.task.start(false);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  async sweep(): Promise<void> {
    // Older than two lock periods: a job still legitimately in flight would have been seen by now.
    for (const op of await this.operations.listUnfinished(2 * this.config.WORKER_LOCK_MS, 500)) {
      if (!isJobName(op.kind)) continue;
      const job = await this.queue.getJob(op.id);
      const state = job ? await job.getState() : 'missing';
      if (state === 'failed') {
        await job!.retry('failed');
      } else if (state === 'completed' || state === 'missing') {
        await job?.remove();
        const data: OperationJobData = { tenantId: op.tenantId, operationId: op.id };
        await this.queue.add(op.kind, data, { ...jobOptions(this.config.JOB_BACKOFF_MS), jobId: op.id });
      } else {
        continue;
      }
      this.logger.warn({ operationId: op.id, state }, 'unfinished operation re-enqueued');
    }
  }
}
