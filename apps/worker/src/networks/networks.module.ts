import { Module } from '@nestjs/common';
import { NetworksDataModule, OperationsDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { CreateNetworkHandler } from './create-network.handler.js';
import { DeleteNetworkHandler } from './delete-network.handler.js';

/** Network jobs (the XAPI network); the OVS data plane follows the rows through the dataplane module. */
@Module({
  imports: [NetworksDataModule, OperationsDataModule, TenancyModule],
  providers: [CreateNetworkHandler, DeleteNetworkHandler],
})
export class NetworksModule {}
