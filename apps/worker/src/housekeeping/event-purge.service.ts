import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { AdvisoryLocks, EventRepository, LOGGER, caught } from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { LockedPass } from '../locks/locked-pass.js';
import { LockedPassService } from '../locks/locked-pass.service.js';

const PURGE_INTERVAL_MS = 600_000;

/** Forgets events older than EVENT_RETENTION_HOURS: how far back a stream's Last-Event-ID or a webhook can catch up. */
@Injectable()
export class EventPurgeService extends LockedPassService {
  protected readonly pass: LockedPass;

  constructor(
    @InjectDataSource() ds: DataSource,
    events: EventRepository,
    locks: AdvisoryLocks,
    @Inject(WORKER_CONFIG) config: WorkerConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    super();
    this.pass = new LockedPass(
      locks,
      'event-purge',
      async () => {
        const purged = await events.purgeOlderThan(ds.manager, config.EVENT_RETENTION_HOURS);
        if (purged > 0) logger.debug({ purged }, 'forgot events past their retention');
      },
      PURGE_INTERVAL_MS,
      caught(logger, 'event-purge', undefined),
    );
  }
}
