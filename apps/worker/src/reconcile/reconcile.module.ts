import { Module } from '@nestjs/common';
import { PoolsDataModule, VmsDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { PoolsModule } from '../pools/pools.module.js';
import { VmWatchService } from './vm-watch.service.js';

/** One XAPI event watcher per pool across all workers, folding what XAPI shows into the rows. */
@Module({ imports: [PoolsDataModule, VmsDataModule, TenancyModule, PoolsModule], providers: [VmWatchService] })
export class ReconcileModule {}
