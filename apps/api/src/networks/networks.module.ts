import { Module } from '@nestjs/common';
import { NetworksDataModule, OperationsDataModule, PoolsDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { NetworksController } from './networks.controller.js';
import { NetworksService } from './networks.service.js';
import { NetworkEditService } from './network-edit.service.js';

/** Tenant networks: subnets with a VNI, made on the pool by the worker. */
@Module({
  imports: [NetworksDataModule, PoolsDataModule, OperationsDataModule, TenancyModule],
  controllers: [NetworksController],
  providers: [NetworksService, NetworkEditService],
})
export class NetworksModule {}
