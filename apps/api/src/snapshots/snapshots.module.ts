import { Module } from '@nestjs/common';
import { OperationsDataModule, VmsDataModule, VolumesDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { VmsModule } from '../vms/vms.module.js';
import { SnapshotsController } from './snapshots.controller.js';
import { SnapshotsService } from './snapshots.service.js';

/** Snapshots of VMs and volumes, and reverts (through the VMs module's resize recorder); the worker makes them on the pool. */
@Module({
  imports: [VolumesDataModule, VmsDataModule, OperationsDataModule, TenancyModule, VmsModule],
  controllers: [SnapshotsController],
  providers: [SnapshotsService],
})
export class SnapshotsModule {}
