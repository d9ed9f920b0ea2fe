import { Inject, Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { QueueName, jobOptions, type OperationJobData } from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';

export interface Enqueue {
  queue: string;
  job: string;
  tenantId: string;
  operationId: string;
}

/** The one way work enters BullMQ (relay and sweeper alike): jobId = operationId, so a duplicate never runs twice. */
@Injectable()
export class JobEnqueuer {
  private readonly queues: Map<string, Queue>;

  constructor(
    @InjectQueue(QueueName.VmLifecycle) lifecycle: Queue,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {
    this.queues = new Map([[QueueName.VmLifecycle, lifecycle]]);
  }

  queue(name: string): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`unknown queue ${name}`);
    return queue;
  }

  async enqueue({ queue, job, tenantId, operationId }: Enqueue): Promise<void> {
    const data: OperationJobData = { tenantId, operationId };
    await this.queue(queue).add(job, data, { ...jobOptions(this.config.JOB_BACKOFF_MS), jobId: operationId });
  }
}
