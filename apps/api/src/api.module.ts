import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DatabaseModule, DatabaseProbe, HealthController, LOGGER, METRICS_SAMPLER, READINESS_CHECKS, REDIS, RedisModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { AuthModule } from './auth/auth.module.js';
import { CatalogController } from './catalog/catalog.controller.js';
import { CatalogService } from './catalog/catalog.service.js';
import { ProblemFilter } from './common/problem.filter.js';
import { API_CONFIG, type ApiConfig } from './config/api-env.js';
import { OperationsController } from './operations/operations.controller.js';
import { OperationsService } from './operations/operations.service.js';
import { PoolsController } from './pools/pools.controller.js';
import { PoolsService } from './pools/pools.service.js';
import { ApiKeysController } from './tenants/api-keys.controller.js';
import { TenantsController } from './tenants/tenants.controller.js';
import { VmsController } from './vms/vms.controller.js';
import { VmsService } from './vms/vms.service.js';

@Module({})
export class ApiModule {
  static forRoot(config: ApiConfig, logger: Logger): DynamicModule {
    return {
      module: ApiModule,
      imports: [DatabaseModule.forRoot({ url: config.DATABASE_URL }), RedisModule.forRoot(config.REDIS_URL), TenancyModule, AuthModule],
      controllers: [HealthController, TenantsController, ApiKeysController, CatalogController, VmsController, OperationsController, PoolsController],
      providers: [
        { provide: API_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: APP_FILTER, useClass: ProblemFilter },
        CatalogService,
        VmsService,
        OperationsService,
        PoolsService,
        {
          provide: READINESS_CHECKS,
          inject: [REDIS, DatabaseProbe],
          useFactory: (redis: Redis, db: DatabaseProbe) => [
            { name: 'database', check: () => db.ping() },
            { name: 'redis', check: async () => void (await redis.ping()) },
          ],
        },
        { provide: METRICS_SAMPLER, useValue: async () => undefined },
      ],
    };
  }
}
