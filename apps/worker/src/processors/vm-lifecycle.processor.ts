import { Inject, type OnModuleInit } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import {
  JOB_QUEUE, JobName, LOGGER, OperationRepository, QueueName, VmRepository, jobDuration, jobFailures, requestContext,
  type OperationJobData,
} from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { CreateVmHandler } from '../handlers/create-vm.handler.js';
import { DeleteVmHandler } from '../handlers/delete-vm.handler.js';
import { NetworkJobsService } from '../handlers/network-jobs.service.js';
import { classify } from '../handlers/job-failure.js';
import { PowerVmHandler } from '../handlers/power-vm.handler.js';
import { ResizeVmHandler } from '../handlers/resize-vm.handler.js';
import type { VmJobContext } from '../handlers/vm-job.context.js';
import { VmOutcomeService } from '../handlers/vm-outcome.service.js';
import { XapiPoolsService } from '../xapi/xapi-pools.service.js';

interface VmHandler {
  run(ctx: VmJobContext): Promise<void>;
}

/**
 * One processor for the vm-lifecycle queue: reloads the operation, re-enters its context, dispatches by job name
 * (network jobs go to NetworkJobsService, which has no VM to load).
 */
// Started in onModuleInit once the configured lock timings are applied; a stalled job is retried, never dropped.
@Processor(QueueName.VmLifecycle, { autorun: false, maxStalledCount: 1_000 })
export class VmLifecycleProcessor extends WorkerHost implements OnModuleInit {
  private readonly handlers: Record<string, VmHandler>;

  constructor(
    private readonly operations: OperationRepository,
    private readonly vms: VmRepository,
    private readonly pools: XapiPoolsService,
    private readonly outcome: VmOutcomeService,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    create: CreateVmHandler,
    remove: DeleteVmHandler,
    power: PowerVmHandler,
    resize: ResizeVmHandler,
    private readonly networkJobs: NetworkJobsService,
  ) {
    super();
    this.handlers = {
      [JobName.VmCreate]: create,
      [JobName.VmDelete]: remove,
      [JobName.VmStart]: power,
      [JobName.VmStop]: power,
      [JobName.VmReboot]: power,
      [JobName.VmResize]: resize,
    };
  }

  /** Boot fails if a job routed to this queue has no handler (style-anchors §6.4). */
  onModuleInit(): void {
    const missing = Object.entries(JOB_QUEUE).filter(([job, q]) => q === QueueName.VmLifecycle && !this.handlers[job] && !this.networkJobs.handles(job));
    if (missing.length) throw new Error(`no handler for jobs: ${missing.map(([j]) => j).join(', ')}`);
    this.worker.concurrency = this.config.WORKER_CONCURRENCY;
    // A killed worker's jobs are picked up again after one lock period.
    Object.assign(this.worker.opts, { lockDuration: this.config.WORKER_LOCK_MS, stalledInterval: this.config.WORKER_LOCK_MS });
    void this.worker.run().catch((err: unknown) => this.logger.error({ err }, 'queue worker stopped'));
  }

  async process(job: Job<OperationJobData>): Promise<void> {
    const { tenantId, operationId } = job.data;
    const handler = this.handlers[job.name];
    if (!handler && !this.networkJobs.handles(job.name)) throw new Error(`unknown job ${job.name}`);
    const operation = await this.operations.find(tenantId, operationId);
    // Already finished (a duplicate delivery or a retry after the final commit): nothing to do.
    if (!operation || operation.status === 'succeeded' || operation.status === 'failed') return;
    const ctx = { requestId: operation.requestId ?? `job-${job.id}`, tenantId, operationId };
    if (!handler) return requestContext.run(ctx, () => this.networkJobs.run(job, operation));
    await requestContext.run(ctx, async () => {
      const end = jobDuration.startTimer({ queue: QueueName.VmLifecycle, job: job.name });
      const vm = await this.vms.find(tenantId, operation.resourceId);
      if (!vm) throw new Error(`operation ${operationId} names missing vm ${operation.resourceId}`);
      await this.operations.start(tenantId, operationId);
      const jobCtx: VmJobContext = {
        operation, vm, xapi: await this.pools.forPool(vm.poolId),
        lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
      };
      try {
        await handler.run(jobCtx);
        // The handler may have recorded the XAPI uuid; the outcome looks the VM up by it.
        jobCtx.vm = (await this.vms.find(tenantId, vm.id)) ?? vm;
        await this.outcome.succeeded(jobCtx);
        end({ outcome: 'succeeded' });
        this.logger.info({ job: job.name, vmId: vm.id }, 'operation succeeded');
      } catch (err) {
        const failure = classify(err);
        jobFailures.inc({ queue: QueueName.VmLifecycle, job: job.name, code: failure.code });
        if (!failure.terminal && !jobCtx.lastAttempt) {
          end({ outcome: 'retry' });
          this.logger.warn({ job: job.name, attempt: job.attemptsMade + 1, err: failure.detail }, 'operation attempt failed; will retry');
          throw err;
        }
        await this.outcome.failed(jobCtx, failure);
        end({ outcome: 'failed' });
        this.logger.warn({ job: job.name, code: failure.code, detail: failure.detail, terminal: failure.terminal, attempt: job.attemptsMade + 1, attempts: job.opts.attempts }, 'operation failed');
      }
    });
  }
}
