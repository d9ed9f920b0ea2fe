import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { AdvisoryLocks, LOGGER } from '@xenplane/core';
import { QuotaService } from '@xenplane/tenancy';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';

/** Periodically recounts every tenant's quota usage; an advisory lock lets one worker at a time do it. */
@Injectable()
export class QuotaRecountService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly quota: QuotaService,
    private readonly locks: AdvisoryLocks,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.kick(), this.config.QUOTA_RECOUNT_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Starts a pass unless one is already running here; resolves when it ends. */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    try {
      await this.locks.tryWith('quota-recount', async () => {
        const { tenants, drifted } = await this.quota.recountAll();
        // Drift should never happen; each correction is also counted in xenplane_quota_drift_total.
        if (drifted > 0) this.logger.warn({ tenants, drifted }, 'quota recount corrected drifted usage');
      });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'quota recount failed; will retry next interval');
    }
  }
}
