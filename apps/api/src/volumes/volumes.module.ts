import { Module } from '@nestjs/common';
import { OperationsDataModule, PoolsDataModule, VmsDataModule, VolumesDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { VolumeTypesController } from './volume-types.controller.js';
import { VolumeTypesService } from './volume-types.service.js';
import { VolumesController } from './volumes.controller.js';
import { VolumesService } from './volumes.service.js';

/** Block volumes and the operator's volume types; the worker makes the VDIs and VBDs. */
@Module({
  imports: [VolumesDataModule, VmsDataModule, PoolsDataModule, OperationsDataModule, TenancyModule],
  controllers: [VolumesController, VolumeTypesController],
  providers: [VolumesService, VolumeTypesService],
})
export class VolumesModule {}
