import { Module } from '@nestjs/common';
import { PoolsDataModule, VolumesDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { PoolIdentityGuard } from './pool-identity.guard.js';
import { PoolSyncService } from './pool-sync.service.js';
import { XapiPoolsService } from './xapi-pools.service.js';
import { StorageSweep } from './storage-sweep.js';

/** Registered pools: one XAPI client each (shared by every job), and the periodic sync of their hosts and storage. */
@Module({
  imports: [PoolsDataModule, VolumesDataModule, TenancyModule],
  providers: [XapiPoolsService, PoolSyncService, PoolIdentityGuard, StorageSweep],
  exports: [XapiPoolsService, StorageSweep],
})
export class PoolsModule {}
