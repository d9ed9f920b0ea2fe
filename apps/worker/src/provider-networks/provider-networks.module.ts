import { Module } from '@nestjs/common';
import { NetworksDataModule } from '@xenplane/core';
import { PoolsModule } from '../pools/pools.module.js';
import { ProviderNetworkReconciler } from './provider-network-reconciler.service.js';

/** Provider networks on the pool (an existing network's uplink, or a VLAN we make); the data plane follows the rows. */
@Module({ imports: [NetworksDataModule, PoolsModule], providers: [ProviderNetworkReconciler], exports: [ProviderNetworkReconciler] })
export class ProviderNetworksModule {}
