import { Module } from '@nestjs/common';
import { CatalogDataModule, KeypairsDataModule, NetworksDataModule, OperationsDataModule, PoolsDataModule, VmsDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { CatalogModule } from '../catalog/catalog.module.js';
import { NicAllocator } from './nic-allocator.service.js';
import { VmDetails } from './vm-details.service.js';
import { VmEditService } from './vm-edit.service.js';
import { VmBootstrapService } from './vm-bootstrap.service.js';
import { VmsController } from './vms.controller.js';
import { VmsService } from './vms.service.js';

/** VMs: create (quota, NICs and the operation in one transaction), actions, resize, delete. */
@Module({
  imports: [
    VmsDataModule,
    KeypairsDataModule,
    CatalogDataModule,
    CatalogModule,
    PoolsDataModule,
    NetworksDataModule,
    OperationsDataModule,
    TenancyModule,
  ],
  controllers: [VmsController],
  providers: [VmsService, NicAllocator, VmDetails, VmEditService, VmBootstrapService],
})
export class VmsModule {}
