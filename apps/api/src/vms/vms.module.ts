import { Module } from '@nestjs/common';
import {
  CatalogDataModule,
  KeypairsDataModule,
  NetworksDataModule,
  OperationsDataModule,
  PlacementDataModule,
  PoolsDataModule,
  SecurityGroupsDataModule,
  VmsDataModule,
} from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { CatalogModule } from '../catalog/catalog.module.js';
import { SecurityGroupsModule } from '../security-groups/security-groups.module.js';
import { NicAllocator } from './nic-allocator.service.js';
import { VmDetails } from './vm-details.service.js';
import { VmEditService } from './vm-edit.service.js';
import { VmBootstrapService } from './vm-bootstrap.service.js';
import { VmNicsController } from './vm-nics.controller.js';
import { VmNicsService } from './vm-nics.service.js';
import { VmsController } from './vms.controller.js';
import { VmsService } from './vms.service.js';
import { VmScheduler } from './vm-scheduler.service.js';
import { VmMigrationService } from './vm-migration.service.js';
import { VmResizeRecorder } from './vm-resize.recorder.js';

/** VMs: create (quota, NICs and the operation in one transaction), actions, resize, delete; NICs added and removed later. */
@Module({
  imports: [
    VmsDataModule,
    KeypairsDataModule,
    CatalogDataModule,
    CatalogModule,
    PoolsDataModule,
    PlacementDataModule,
    NetworksDataModule,
    OperationsDataModule,
    TenancyModule,
    SecurityGroupsModule,
    SecurityGroupsDataModule,
  ],
  controllers: [VmsController, VmNicsController],
  providers: [
    VmsService,
    NicAllocator,
    VmDetails,
    VmEditService,
    VmBootstrapService,
    VmNicsService,
    VmResizeRecorder,
    VmScheduler,
    VmMigrationService,
  ],
  exports: [VmResizeRecorder, VmDetails],
})
export class VmsModule {}
