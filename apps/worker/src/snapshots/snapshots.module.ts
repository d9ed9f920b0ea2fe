import { Module } from '@nestjs/common';
import { OperationsDataModule, VmsDataModule, VolumesDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { VmsModule } from '../vms/vms.module.js';
import { CreateSnapshotHandler } from './create-snapshot.handler.js';
import { DeleteSnapshotHandler } from './delete-snapshot.handler.js';
import { RevertSnapshotHandler } from './revert-snapshot.handler.js';
import { VolumeReattacher } from './volume-reattacher.js';

/** Snapshot jobs: VM.snapshot / VDI.snapshot, VM.revert (through the VM outcome, as a resize ends), and their deletion. */
@Module({
  imports: [VolumesDataModule, VmsDataModule, OperationsDataModule, TenancyModule, VmsModule],
  providers: [CreateSnapshotHandler, RevertSnapshotHandler, DeleteSnapshotHandler, VolumeReattacher],
})
export class SnapshotsModule {}
