import { type DynamicModule, Module } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  DatabaseModule,
  DatabaseProbe,
  HealthController,
  METRICS_SAMPLER,
  READINESS_CHECKS,
  REDIS,
  RedisModule,
  storageChecks,
} from '@xenplane/core';
import { ApiContextModule } from './api-context.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { BillingModule } from './billing/billing.module.js';
import { CatalogModule } from './catalog/catalog.module.js';
import { CommonModule } from './common/common.module.js';
import { ConsoleModule } from './console/console.module.js';
import type { ApiConfig } from './config/api-env.js';
import { NetworksModule } from './networks/networks.module.js';
import { ProviderNetworksModule } from './provider-networks/provider-networks.module.js';
import { KeypairsModule } from './keypairs/keypairs.module.js';
import { SecurityGroupsModule } from './security-groups/security-groups.module.js';
import { OperationsModule } from './operations/operations.module.js';
import { PoolsModule } from './pools/pools.module.js';
import { QuotaModule } from './quota/quota.module.js';
import { TenantsModule } from './tenants/tenants.module.js';
import { VmsModule } from './vms/vms.module.js';
import { VolumesModule } from './volumes/volumes.module.js';
import { ServerGroupsModule } from './server-groups/server-groups.module.js';
import { SnapshotsModule } from './snapshots/snapshots.module.js';
import { EventsModule } from './events/events.module.js';
import { SessionsModule } from './sessions/sessions.module.js';

/** The REST API: one feature module per resource; it records intent in Postgres and calls XAPI only to relay consoles. */
@Module({})
export class ApiModule {
  static forRoot(config: ApiConfig, logger: Logger): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ApiContextModule.forRoot(config, logger),
        DatabaseModule.forRoot({ url: config.DATABASE_URL, applicationName: 'xenplane-api' }),
        RedisModule.forRoot(config.REDIS_URL),
        // The audit interceptor wraps the idempotency one (modules register their global pieces in import order).
        AuthModule,
        AuditModule,
        CommonModule,
        TenantsModule,
        CatalogModule,
        VmsModule,
        ConsoleModule,
        NetworksModule,
        ProviderNetworksModule,
        KeypairsModule,
        SecurityGroupsModule,
        VolumesModule,
        ServerGroupsModule,
        SnapshotsModule,
        OperationsModule,
        PoolsModule,
        QuotaModule,
        BillingModule,
        EventsModule,
        SessionsModule,
      ],
      controllers: [HealthController],
      providers: [
        { provide: READINESS_CHECKS, inject: [REDIS, DatabaseProbe], useFactory: (redis: Redis, db: DatabaseProbe) => storageChecks(db, redis) },
        { provide: METRICS_SAMPLER, useValue: async () => undefined },
      ],
    };
  }
}
