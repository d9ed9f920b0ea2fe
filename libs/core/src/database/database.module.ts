import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ENTITIES } from './entities/index.js';
import { FlavorRepository } from './repositories/flavor.repository.js';
import { AuditRepository } from './repositories/audit.repository.js';
import { AdvisoryLocks } from './repositories/advisory-locks.js';
import { HostRepository } from './repositories/host.repository.js';
import { DataplaneRepository } from './repositories/dataplane.repository.js';
import { IdempotencyRepository } from './repositories/idempotency.repository.js';
import { NotificationListener } from './repositories/notification.listener.js';
import { ImageRepository } from './repositories/image.repository.js';
import { OperationRepository } from './repositories/operation.repository.js';
import { OutboxRepository } from './repositories/outbox.repository.js';
import { PoolRepository } from './repositories/pool.repository.js';
import { PoolTemplateRepository } from './repositories/pool-template.repository.js';
import { VmRepository } from './repositories/vm.repository.js';
import { NetworkRepository } from './repositories/network.repository.js';
import { VmNicRepository } from './repositories/vm-nic.repository.js';
import { PresenceRepository } from './repositories/presence.repository.js';

import { OperationLauncher } from '../domain/operation-launcher.js';

import { DatabaseProbe } from './database.probe.js';

const REPOSITORIES = [AdvisoryLocks, PresenceRepository, DataplaneRepository, AuditRepository, DatabaseProbe, OperationLauncher, FlavorRepository, HostRepository, IdempotencyRepository, NotificationListener, ImageRepository, OperationRepository, OutboxRepository, PoolRepository, PoolTemplateRepository, VmRepository, NetworkRepository, VmNicRepository];

/** TypeORM on Postgres with our entities; schema changes only ever come from migrations/. */
@Global()
@Module({})
export class DatabaseModule {
  /** `applicationName` labels every connection in pg_stat_activity (`<name>`, `<name>-locks`, `<name>-listen`). */
  static forRoot(opts: { url: string; poolSize?: number; applicationName?: string }): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: opts.url,
          applicationName: opts.applicationName ?? 'xenplane',
          entities: ENTITIES,
          synchronize: false,
          migrationsRun: false,
          logging: false,
          // Waiting for a connection is queueing, not failure: bursts wait up to 30 s before a 503.
          extra: { max: opts.poolSize ?? 10, connectionTimeoutMillis: 30_000 },
          retryAttempts: 3,
          retryDelay: 1000,
        }),
      ],
      providers: REPOSITORIES,
      exports: REPOSITORIES,
    };
  }
}
