import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { AdvisoryLocks, EventRepository, LOGGER, caught } from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { LockedPass } from '../locks/locked-pass.js';

const PURGE_INTERVAL_MS = 600_000;

/** Forgets events older than EVENT_RETENTION_HOURS: how far back a stream's Last-Event-ID or a webhook can catch up. */
@Injectable()
export class EventPurgeService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pass: LockedPass;

  constructor(
    @InjectDataSource() ds: DataSource,
    events: EventRepository,
    locks: AdvisoryLocks,
    @Inject(WORKER_CONFIG) config: WorkerConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
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

  onApplicationBootstrap(): void {
    this.pass.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.pass.stop();
  }

  kick(): Promise<void> {
    return this.pass.kick();
  }
}
