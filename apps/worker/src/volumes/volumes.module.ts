import { Module } from '@nestjs/common';
import { OperationsDataModule, VmsDataModule, VolumesDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { AttachVolumeHandler } from './attach-volume.handler.js';
import { CreateVolumeHandler } from './create-volume.handler.js';
import { DeleteVolumeHandler } from './delete-volume.handler.js';
import { DetachVolumeHandler } from './detach-volume.handler.js';
import { ResizeVolumeHandler } from './resize-volume.handler.js';

/** Volume jobs: the VDI, its VBD on a VM, its size. */
@Module({
  imports: [VolumesDataModule, VmsDataModule, OperationsDataModule, TenancyModule],
  providers: [CreateVolumeHandler, AttachVolumeHandler, DetachVolumeHandler, ResizeVolumeHandler, DeleteVolumeHandler],
})
export class VolumesModule {}
