import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { AdvisoryLocks, JOB_QUEUE, LOGGER, OperationRepository, PeriodicTask, isJobName } from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { JobEnqueuer } from './job-enqueuer.js';

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
    private readonly enqueuer: JobEnqueuer,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.task = new PeriodicTask(
      async () => void (await this.locks.tryWith('operation-sweep', () => this.sweep())),
      config.OPERATION_SWEEP_MS,
      (err) => this.logger.warn({ err: (err as Error).message }, 'operation sweep failed'),
    );
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
      const queue = this.enqueuer.queue(JOB_QUEUE[op.kind]);
      const job = await queue.getJob(op.id);
      const state = job ? await job.getState() : 'missing';
      if (state === 'failed') {
        await job!.retry('failed');
      } else if (state === 'completed' || state === 'missing') {
        await job?.remove();
        await this.enqueuer.enqueue({ queue: JOB_QUEUE[op.kind], job: op.kind, tenantId: op.tenantId, operationId: op.id });
      } else {
        continue;
      }
      this.logger.warn({ operationId: op.id, state }, 'unfinished operation re-enqueued');
    }
  }
}
