import { type DynamicModule, Injectable, Module, type Type } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  DatabaseModule,
  DatabaseProbe,
  HealthController,
  OperationsDataModule,
  METRICS_SAMPLER,
  OutboxRepository,
  QueueName,
  READINESS_CHECKS,
  REDIS,
  RedisModule,
  bullConnectionOptions,
  storageChecks,
} from '@xenplane/core';
import { outboxPending, queueDepth } from './worker.metrics.js';
import type { WorkerConfig } from './config/worker-env.js';
import { DataplaneModule } from './dataplane/dataplane.module.js';
import { HousekeepingModule } from './housekeeping/housekeeping.module.js';
import { FleetModule } from './fleet/fleet.module.js';
import { NetworksModule } from './networks/networks.module.js';
import { ProviderNetworksModule } from './provider-networks/provider-networks.module.js';
import { VolumesModule } from './volumes/volumes.module.js';
import { SnapshotsModule } from './snapshots/snapshots.module.js';
import { ImagesModule } from './images/images.module.js';
import { JobEnqueuer } from './pipeline/job-enqueuer.js';
import { PipelineModule } from './pipeline/pipeline.module.js';
import { PoolsModule } from './pools/pools.module.js';
import { XapiPoolsService } from './pools/xapi-pools.service.js';
import { QuotaModule } from './quota/quota.module.js';
import { ReconcileModule } from './reconcile/reconcile.module.js';
import { UsageModule } from './usage/usage.module.js';
import { VmsModule } from './vms/vms.module.js';
import { WorkerContextModule } from './worker-context.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

/** Samples queue depth and outbox backlog right before each /metrics scrape. */
@Injectable()
class MetricsSampler {
  constructor(
    private readonly enqueuer: JobEnqueuer,
    private readonly outbox: OutboxRepository,
  ) {}

  async sample(): Promise<void> {
    const counts = await this.enqueuer.queue(QueueName.VmLifecycle).getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
    for (const [state, n] of Object.entries(counts)) queueDepth.set({ queue: QueueName.VmLifecycle, state }, n);
    outboxPending.set(await this.outbox.pendingCount());
  }
}

/** Pooled connections per worker; add one lock session and three LISTEN connections for its total. */
export const WORKER_DB_POOL_SIZE = 10;

/** The worker's feature modules: job handlers and the per-pool and per-host owners (a test may boot a subset). */
export const WORKER_FEATURES: Type[] = [
  VmsModule,
  NetworksModule,
  ProviderNetworksModule,
  VolumesModule,
  SnapshotsModule,
  ImagesModule,
  ReconcileModule,
  DataplaneModule,
  UsageModule,
  QuotaModule,
  HousekeepingModule,
  FleetModule,
  WebhooksModule,
];

/** The worker: the operation pipeline and its handlers by feature, plus the per-pool and per-host owners. */
@Module({})
export class WorkerModule {
  static forRoot(config: WorkerConfig, logger: Logger, features: Type[] = WORKER_FEATURES): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        WorkerContextModule.forRoot(config, logger),
        // Jobs hold a connection only between XAPI calls, so a small pool serves many concurrent jobs; nothing holds
        // one for long (locks live on AdvisoryLocks' own session), so the count never grows with pools or hosts.
        DatabaseModule.forRoot({ url: config.DATABASE_URL, poolSize: WORKER_DB_POOL_SIZE, applicationName: 'xenplane-worker' }),
        RedisModule.forRoot(config.REDIS_URL),
        BullModule.forRoot({ connection: bullConnectionOptions(config.REDIS_URL), prefix: config.QUEUE_PREFIX }),
        OperationsDataModule,
        PoolsModule,
        PipelineModule,
        ...features,
      ],
      controllers: [HealthController],
      providers: [
        MetricsSampler,
        { provide: METRICS_SAMPLER, inject: [MetricsSampler], useFactory: (s: MetricsSampler) => () => s.sample() },
        {
          provide: READINESS_CHECKS,
          inject: [REDIS, DatabaseProbe, XapiPoolsService],
          useFactory: (redis: Redis, db: DatabaseProbe, pools: XapiPoolsService) => [
            ...storageChecks(db, redis),
            { name: 'xapi', check: () => pools.pingDefault() },
          ],
        },
      ],
    };
  }
}
