import { Module } from '@nestjs/common';
import { TenancyModule } from '@xenplane/tenancy';
import { PoolsModule } from '../pools/pools.module.js';
import { VmWatchService } from './vm-watch.service.js';

/** One XAPI event watcher per pool across all workers, folding what XAPI shows into the rows. */
@Module({ imports: [TenancyModule, PoolsModule], providers: [VmWatchService] })
export class ReconcileModule {}
