import { Module } from '@nestjs/common';
import { OperationsDataModule, PoolsDataModule, VmsDataModule } from '@xenplane/core';
import { PoolsModule } from '../pools/pools.module.js';
import { VmsModule } from '../vms/vms.module.js';
import { HostEvacuationService } from './host-evacuation.service.js';
import { HostFailureService } from './host-failure.service.js';

/** Host maintenance (drains through vm.migrate) and host failure (a dead host's VMs restarted or stopped); handlers are the VMs' module's. */
@Module({
  imports: [VmsModule, VmsDataModule, OperationsDataModule, PoolsDataModule, PoolsModule],
  providers: [HostEvacuationService, HostFailureService],
  exports: [HostEvacuationService, HostFailureService],
})
export class FleetModule {}
