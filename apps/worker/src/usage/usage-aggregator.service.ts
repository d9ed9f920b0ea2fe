import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { LOGGER, PeriodicTask } from '@xenplane/core';
import { UsageRepository, aggregateUsage } from '@xenplane/accounting';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';

/** Turns usage events into rated hourly records; a transaction-scoped advisory lock lets one worker at a time do it. */
@Injectable()
export class UsageAggregatorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly task: PeriodicTask;
  private readonly repo: UsageRepository;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.repo = new UsageRepository();
    this.task = new PeriodicTask(
      () => this.drain(),
      config.USAGE_AGGREGATE_INTERVAL_MS,
      (err) => this.logger.warn({ err: (err as Error).message }, 'usage aggregation failed; will retry next interval'),
    );
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  /** Runs passes until no dirty resource is left (a backlog is taken a batch per transaction). */
  private async drain(): Promise<void> {
    for (;;) {
      const r = await aggregateUsage(this.ds, this.repo, { graceMs: this.config.USAGE_GRACE_MS });
      if (r.windowsAdded || r.resourcesRederived) this.logger.info({ ...r }, 'usage aggregated');
      if (!r.more) return;
    }
  }
}
