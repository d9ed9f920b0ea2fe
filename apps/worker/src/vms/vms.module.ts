import { Module } from '@nestjs/common';
import { CatalogDataModule, OperationsDataModule, VmsDataModule, VolumesDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { ConfigDriveService } from './config-drive.service.js';
import { CreateVmHandler } from './create-vm.handler.js';
import { DeleteVmHandler } from './delete-vm.handler.js';
import { PowerVmHandler } from './power-vm.handler.js';
import { ResizeVmHandler } from './resize-vm.handler.js';
import { VmOutcomeService } from './vm-outcome.service.js';

/** VM jobs: one handler per kind of change, each registered with @HandlesJobs for the pipeline. */
@Module({
  imports: [VmsDataModule, VolumesDataModule, CatalogDataModule, OperationsDataModule, TenancyModule],
  providers: [VmOutcomeService, ConfigDriveService, CreateVmHandler, DeleteVmHandler, PowerVmHandler, ResizeVmHandler],
})
export class VmsModule {}
