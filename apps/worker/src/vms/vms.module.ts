import { Module } from '@nestjs/common';
import { CatalogDataModule, OperationsDataModule, PlacementDataModule, PoolsDataModule, VmsDataModule, VolumesDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { AddNicHandler } from './add-nic.handler.js';
import { ConfigDriveService } from './config-drive.service.js';
import { CreateVmHandler } from './create-vm.handler.js';
import { DeleteVmHandler } from './delete-vm.handler.js';
import { PowerVmHandler } from './power-vm.handler.js';
import { RemoveNicHandler } from './remove-nic.handler.js';
import { ResizeVmHandler } from './resize-vm.handler.js';
import { VmOutcomeService } from './vm-outcome.service.js';
import { VmHostChooser } from './vm-host-chooser.js';
import { MigrateVmHandler } from './migrate-vm.handler.js';
import { MigrationTargets } from './migration-targets.service.js';
import { RestartAfterFailureHandler } from './restart-after-failure.handler.js';

/** VM jobs: one handler per kind of change, each registered with @HandlesJobs for the pipeline. */
@Module({
  imports: [VmsDataModule, VolumesDataModule, CatalogDataModule, OperationsDataModule, PoolsDataModule, PlacementDataModule, TenancyModule],
  providers: [
    VmOutcomeService,
    ConfigDriveService,
    VmHostChooser,
    MigrationTargets,
    MigrateVmHandler,
    CreateVmHandler,
    DeleteVmHandler,
    PowerVmHandler,
    ResizeVmHandler,
    AddNicHandler,
    RemoveNicHandler,
    RestartAfterFailureHandler,
  ],
  exports: [VmOutcomeService, ConfigDriveService, MigrationTargets],
})
export class VmsModule {}
