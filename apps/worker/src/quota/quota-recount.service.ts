import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { AdvisoryLocks, LOGGER } from '@xenplane/core';
import { QuotaService } from '@xenplane/tenancy';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { LockedPass } from '../locks/locked-pass.js';

/** Periodically recounts every tenant's quota usage; an advisory lock lets one worker at a time do it. */
@Injectable()
export class QuotaRecountService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pass: LockedPass;

  constructor(
    private readonly quota: QuotaService,
    locks: AdvisoryLocks,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.pass = new LockedPass(
      locks,
      'quota-recount',
      async () => {
        const { tenants, drifted } = await this.quota.recountAll();
        // Drift should never happen; each correction is also counted in xenplane_quota_drift_total.
        if (drifted > 0) this.logger.warn({ tenants, drifted }, 'quota recount corrected drifted usage');
      },
      this.config.QUOTA_RECOUNT_INTERVAL_MS,
      (err) => this.logger.warn({ err: (err as Error).message }, 'quota recount failed; will retry next interval'),
    );
  }

  onApplicationBootstrap(): void {
    this.pass.start(false);
  }

  onApplicationShutdown(): Promise<void> {
    return this.pass.stop();
  }

  /** A pass now, or right after the one running here; resolves when it ends. */
  kick(): Promise<void> {
    return this.pass.kick();
  }
}
