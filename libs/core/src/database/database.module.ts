import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ENTITIES } from './entities/index.js';
import { AdvisoryLocks } from './repositories/advisory-locks.js';
import { NotificationListener } from './repositories/notification.listener.js';
import { DatabaseProbe } from './database.probe.js';

// Infrastructure every module may use; repositories come from the data module of the data they own (data.modules.ts).
const INFRASTRUCTURE = [AdvisoryLocks, NotificationListener, DatabaseProbe];

/** TypeORM on Postgres with our entities and the connection-level infrastructure; schema changes only ever come from migrations/. */
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
      providers: INFRASTRUCTURE,
      exports: INFRASTRUCTURE,
    };
  }
}
