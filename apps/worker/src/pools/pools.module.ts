import { Module } from '@nestjs/common';
import { PoolsDataModule } from '@xenplane/core';
import { PoolSyncService } from './pool-sync.service.js';
import { XapiPoolsService } from './xapi-pools.service.js';

/** Registered pools: one XAPI client each (shared by every job), and the periodic sync of their hosts. */
@Module({
  imports: [PoolsDataModule],
  providers: [XapiPoolsService, PoolSyncService],
  exports: [XapiPoolsService],
})
export class PoolsModule {}
