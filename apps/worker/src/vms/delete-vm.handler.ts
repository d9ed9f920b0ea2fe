import { Injectable } from '@nestjs/common';
import { JobName, VmRepository } from '@xenplane/core';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { ConfigDriveService } from './config-drive.service.js';
import { locateVm } from './vm-locator.js';
import { VmOperationHandler, type VmContext } from './vm-operation.handler.js';
import { VmOutcomeService } from './vm-outcome.service.js';

/** vm.delete: shut down, destroy the VM, its disks and its config drive; a VM already gone counts as done. */
@Injectable()
@HandlesJobs(JobName.VmDelete)
export class DeleteVmHandler extends VmOperationHandler {
  constructor(
    vms: VmRepository,
    outcome: VmOutcomeService,
    private readonly drives: ConfigDriveService,
  ) {
    super(vms, outcome);
  }

  async run({ resource: vm, xapi }: VmContext): Promise<void> {
    const pool = await xapi();
    const found = await locateVm(pool, vm);
    if (found) await pool.destroyVm(found.ref);
    // destroyVm takes the attached drive with the VM's disks; this finds one a crash left unattached.
    await this.drives.destroyAll(pool, vm.id);
  }
}
