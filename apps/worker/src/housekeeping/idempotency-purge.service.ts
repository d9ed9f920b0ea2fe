import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { AdvisoryLocks, IdempotencyRepository, LOGGER, caught } from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { LockedPass } from '../locks/locked-pass.js';
import { LockedPassService } from '../locks/locked-pass.service.js';

// Keys expire by the hour; a pass every ten minutes keeps the table within a few minutes of the retention.
const PURGE_INTERVAL_MS = 600_000;

/** Forgets Idempotency-Keys past IDEMPOTENCY_RETENTION_HOURS, so the table does not grow with every request ever made. */
@Injectable()
export class IdempotencyPurgeService extends LockedPassService {
  protected readonly pass: LockedPass;

  constructor(
    @InjectDataSource() ds: DataSource,
    keys: IdempotencyRepository,
    locks: AdvisoryLocks,
    @Inject(WORKER_CONFIG) config: WorkerConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    super();
    this.pass = new LockedPass(
      locks,
      'idempotency-purge',
      async () => {
        const purged = await keys.purgeOlderThan(ds.manager, config.IDEMPOTENCY_RETENTION_HOURS);
        if (purged > 0) logger.debug({ purged }, 'forgot expired Idempotency-Keys');
      },
      PURGE_INTERVAL_MS,
      caught(logger, 'idempotency-purge', undefined),
    );
  }
}
