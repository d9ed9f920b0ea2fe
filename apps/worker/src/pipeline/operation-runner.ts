import { Inject, Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { AdvisoryLocks, LOGGER, OperationRepository, requestContext, type OperationJobData } from '@xenplane/core';
import { jobDuration, jobFailures } from '../worker.metrics.js';
import type { XapiPool } from '@xenplane/xapi-driver';
import { XapiPoolsService } from '../pools/xapi-pools.service.js';
import { classify } from './job-failure.js';
import type { OperationContext, OperationHandler } from './operation-handler.js';
import { OperationRegistry } from './operation-registry.js';

type AttemptJob = Pick<Job<OperationJobData>, 'id' | 'name' | 'data' | 'attemptsMade' | 'opts' | 'queueName'>;

/**
 * Another attempt of the operation is running (here or in another worker): BullMQ delivers a job again when its lock
 * lapses (a busy event loop, a slow Redis) while the first delivery still runs, and two sagas on one VM undo each other.
 */
export class OperationBusyError extends Error {
  constructor(readonly operationId: string) {
    super(`operation ${operationId} has an attempt running`);
  }
}

/**
 * Runs one attempt of any operation, never two of one operation at once (an advisory lock per operation): start it by
 * id (counting the attempt), return early when already finished, re-enter the tenant and request context, then the handler's work, and its
 * success, a retry, or its failure. Throws only to retry (OperationBusyError: later, once the running attempt ends).
 */
@Injectable()
export class OperationRunner {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly registry: OperationRegistry,
    private readonly operations: OperationRepository,
    private readonly pools: XapiPoolsService,
    private readonly locks: AdvisoryLocks,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(job: AttemptJob): Promise<void> {
    const handler = this.registry.handlerFor(job.name);
    if (!handler) throw new Error(`unknown job ${job.name}`);
    const lease = await this.locks.tryHold(`operation:${job.data.operationId}`);
    if (!lease) throw new OperationBusyError(job.data.operationId);
    try {
      await this.attempt(job, handler);
    } finally {
      await lease.release();
    }
  }

  private async attempt(job: AttemptJob, handler: OperationHandler): Promise<void> {
    const { tenantId, operationId } = job.data;
    // Started and read in one statement; already finished (a duplicate delivery or a retry after the final commit): nothing to do.
    const operation = await this.operations.start(this.ds.manager, tenantId, operationId);
    if (!operation) return;
    const context = { requestId: operation.requestId ?? `job-${String(job.id)}`, tenantId, operationId };
    await requestContext.run(context, async () => {
      const resource = await handler.load(operation);
      if (!resource) {
        // Nothing to work on, now or on any retry: the operation ends, failed, instead of being retried for ever.
        const detail = `operation ${operationId} names missing ${operation.resourceType} ${operation.resourceId}`;
        await this.operations.fail(this.ds.manager, tenantId, operationId, 'resource_missing', detail);
        jobFailures.inc({ queue: job.queueName, job: job.name, code: 'resource_missing' });
        this.logger.error({ job: job.name, resourceType: operation.resourceType, resourceId: operation.resourceId }, detail);
        return;
      }
      let pool: Promise<XapiPool> | undefined;
      const ctx: OperationContext<unknown> = {
        operation,
        resource,
        lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
        xapi: () => (pool ??= this.pools.forPool(handler.poolId(resource))),
      };
      const labels = { queue: job.queueName, job: job.name };
      const end = jobDuration.startTimer(labels);
      const log = { job: job.name, resourceType: operation.resourceType, resourceId: operation.resourceId, attempt: job.attemptsMade + 1 };
      try {
        await handler.succeed(ctx, await handler.run(ctx));
        end({ outcome: 'succeeded' });
        this.logger.info(log, 'operation succeeded');
      } catch (err) {
        const failure = classify(err);
        jobFailures.inc({ ...labels, code: failure.code });
        if (!failure.terminal && !ctx.lastAttempt) {
          end({ outcome: 'retry' });
          this.logger.warn({ ...log, code: failure.code, err: failure.detail }, 'operation attempt failed; will retry');
          throw err;
        }
        await handler.fail(ctx, failure);
        end({ outcome: 'failed' });
        this.logger.warn({ ...log, code: failure.code, detail: failure.detail, terminal: failure.terminal }, 'operation failed');
      }
    });
  }
}
