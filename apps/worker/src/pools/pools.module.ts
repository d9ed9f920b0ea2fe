import { Module } from '@nestjs/common';
import { PoolsDataModule } from '@xenplane/core';
import { PoolIdentityGuard } from './pool-identity.guard.js';
import { PoolSyncService } from './pool-sync.service.js';
import { XapiPoolsService } from './xapi-pools.service.js';

/** Registered pools: one XAPI client each (shared by every job), and the periodic sync of their hosts. */
@Module({
  imports: [PoolsDataModule],
  providers: [XapiPoolsService, PoolSyncService, PoolIdentityGuard],
  exports: [XapiPoolsService],
})
export class PoolsModule {}
