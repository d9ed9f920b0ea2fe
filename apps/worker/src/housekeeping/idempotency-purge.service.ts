import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { AdvisoryLocks, IdempotencyRepository, LOGGER, caught } from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';

// Keys expire by the hour; a pass every ten minutes keeps the table within a few minutes of the retention.
const PURGE_INTERVAL_MS = 600_000;

/** Forgets Idempotency-Keys past IDEMPOTENCY_RETENTION_HOURS, so the table does not grow with every request ever made. */
@Injectable()
export class IdempotencyPurgeService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly keys: IdempotencyRepository,
    private readonly locks: AdvisoryLocks,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.kick(), PURGE_INTERVAL_MS);
    void this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Runs one pass unless one is already running here; resolves when it ends. */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    await this.locks
      .tryWith('idempotency-purge', async () => {
        const purged = await this.keys.purgeOlderThan(this.ds.manager, this.config.IDEMPOTENCY_RETENTION_HOURS);
        if (purged > 0) this.logger.debug({ purged }, 'forgot expired Idempotency-Keys');
      })
      .catch(caught(this.logger, 'idempotency-purge', false));
  }
}
