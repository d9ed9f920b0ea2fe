import { type DynamicModule, Injectable, Module } from '@nestjs/common';
import { BullModule, InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  DatabaseModule, DatabaseProbe, HealthController, LOGGER, METRICS_SAMPLER, OutboxRepository, QueueName, READINESS_CHECKS, REDIS,
  RedisModule, bullConnectionOptions, outboxPending, queueDepth, storageChecks,
} from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { WORKER_CONFIG, type WorkerConfig } from './config/worker-env.js';
import { DataplaneService } from './dataplane/dataplane.service.js';
import { UsageAggregatorService } from './usage/usage-aggregator.service.js';
import { CreateVmHandler } from './handlers/create-vm.handler.js';
import { DeleteVmHandler } from './handlers/delete-vm.handler.js';
import { NetworkJobsService } from './handlers/network-jobs.service.js';
import { PowerVmHandler } from './handlers/power-vm.handler.js';
import { ResizeVmHandler } from './handlers/resize-vm.handler.js';
import { VmOutcomeService } from './handlers/vm-outcome.service.js';
import { OperationSweeperService } from './outbox/operation-sweeper.service.js';
import { OutboxRelayService } from './outbox/outbox-relay.service.js';
import { VmLifecycleProcessor } from './processors/vm-lifecycle.processor.js';
import { QuotaRecountService } from './quota/quota-recount.service.js';
import { VmWatchService } from './reconcile/vm-watch.service.js';
import { PoolSyncService } from './xapi/pool-sync.service.js';
import { XapiPoolsService } from './xapi/xapi-pools.service.js';

@Injectable()
/** Samples queue depth and outbox backlog right before each /metrics scrape. */
@Injectable()
class MetricsSampler {
  constructor(
    @InjectQueue(QueueName.VmLifecycle) private readonly queue: Queue,
    private readonly outbox: OutboxRepository,
  ) {}
  async sample(): Promise<void> {
    const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
    for (const [state, n] of Object.entries(counts)) queueDepth.set({ queue: QueueName.VmLifecycle, state }, n);
    outboxPending.set(await this.outbox.pendingCount());
  }
}

/** Pooled connections per worker; add one lock session and three LISTEN connections for its total. */
export const WORKER_DB_POOL_SIZE = 10;

@Module({})
export class WorkerModule {
  static forRoot(config: WorkerConfig, logger: Logger): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        // Jobs hold a connection only between XAPI calls, so a small pool serves many concurrent jobs; nothing holds
        // one for long (locks live on AdvisoryLocks' own session), so the count never grows with pools or hosts.
        DatabaseModule.forRoot({ url: config.DATABASE_URL, poolSize: WORKER_DB_POOL_SIZE, applicationName: 'xenplane-worker' }),
        RedisModule.forRoot(config.REDIS_URL),
        BullModule.forRoot({ connection: bullConnectionOptions(config.REDIS_URL), prefix: config.QUEUE_PREFIX }),
        BullModule.registerQueue({ name: QueueName.VmLifecycle }),
        TenancyModule,
      ],
      controllers: [HealthController],
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        XapiPoolsService,
        PoolSyncService,
        VmWatchService,
        DataplaneService,
        UsageAggregatorService,
        QuotaRecountService,
        OutboxRelayService,
        OperationSweeperService,
        CreateVmHandler,
        DeleteVmHandler,
        PowerVmHandler,
        ResizeVmHandler,
        NetworkJobsService,
        VmOutcomeService,
        VmLifecycleProcessor,
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
