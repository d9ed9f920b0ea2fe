import { Module } from '@nestjs/common';
import { NetworksDataModule, PoolsDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { ProviderNetworksController } from './provider-networks.controller.js';
import { ProviderNetworksService } from './provider-networks.service.js';

/** Operator provider networks and the address pools tenants' NICs draw from (the worker makes them on the pool). */
@Module({
  imports: [NetworksDataModule, PoolsDataModule, TenancyModule],
  controllers: [ProviderNetworksController],
  providers: [ProviderNetworksService],
})
export class ProviderNetworksModule {}
