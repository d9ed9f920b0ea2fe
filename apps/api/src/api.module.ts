import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DatabaseModule, DatabaseProbe, HealthController, LOGGER, METRICS_SAMPLER, READINESS_CHECKS, REDIS, RedisModule, storageChecks } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { AuditController } from './audit/audit.controller.js';
import { AuditInterceptor } from './audit/audit.interceptor.js';
import { AuditMiddleware } from './audit/audit.middleware.js';
import { AuditService } from './audit/audit.service.js';
import { AuthFailuresService } from './auth/auth-failures.service.js';
import { ApiAuthGuard } from './auth/auth.guard.js';
import { AuthModule } from './auth/auth.module.js';
import { BillingRepository, PeriodsRepository } from '@xenplane/accounting';
import { BillingExportController } from './billing/billing-export.controller.js';
import { BillingExportService } from './billing/billing-export.service.js';
import { BillingController } from './billing/billing.controller.js';
import { BillingService } from './billing/billing.service.js';
import { CatalogController } from './catalog/catalog.controller.js';
import { CatalogService } from './catalog/catalog.service.js';
import { NetworksController } from './networks/networks.controller.js';
import { NetworksService } from './networks/networks.service.js';
import { IdempotencyInterceptor } from './common/idempotency.interceptor.js';
import { ProblemFilter } from './common/problem.filter.js';
import { UndeclaredQueryInterceptor } from './common/undeclared-query.interceptor.js';
import { API_CONFIG, type ApiConfig } from './config/api-env.js';
import { OperationsController } from './operations/operations.controller.js';
import { OperationsService } from './operations/operations.service.js';
import { PoolsController } from './pools/pools.controller.js';
import { PoolsService } from './pools/pools.service.js';
import { QuotaController } from './quota/quota.controller.js';
import { TenantQuotaController } from './quota/tenant-quota.controller.js';
import { RateLimitRepository } from './rate-limit/rate-limit.repository.js';
import { RateLimitService } from './rate-limit/rate-limit.service.js';
import { ApiKeysController } from './tenants/api-keys.controller.js';
import { TenantsController } from './tenants/tenants.controller.js';
import { VmsController } from './vms/vms.controller.js';
import { NicAllocator } from './vms/nic-allocator.service.js';
import { VmsService } from './vms/vms.service.js';

@Module({})
export class ApiModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AuditMiddleware).forRoutes('{*path}');
  }

  static forRoot(config: ApiConfig, logger: Logger): DynamicModule {
    return {
      module: ApiModule,
      imports: [DatabaseModule.forRoot({ url: config.DATABASE_URL, applicationName: 'xenplane-api' }), RedisModule.forRoot(config.REDIS_URL), TenancyModule, AuthModule],
      controllers: [HealthController, TenantsController, ApiKeysController, CatalogController, VmsController, NetworksController, OperationsController, PoolsController, TenantQuotaController, QuotaController, AuditController, BillingController, BillingExportController],
      providers: [
        { provide: API_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_GUARD, useClass: ApiAuthGuard },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
        { provide: APP_INTERCEPTOR, useClass: UndeclaredQueryInterceptor },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
        CatalogService,
        VmsService,
        NicAllocator,
        NetworksService,
        OperationsService,
        PoolsService,
        AuditService,
        BillingService,
        BillingRepository,
        BillingExportService,
        PeriodsRepository,
        RateLimitRepository,
        RateLimitService,
        AuthFailuresService,
        {
          provide: READINESS_CHECKS,
          inject: [REDIS, DatabaseProbe],
          useFactory: (redis: Redis, db: DatabaseProbe) => storageChecks(db, redis),
        },
        { provide: METRICS_SAMPLER, useValue: async () => undefined },
      ],
    };
  }
}
