import { Injectable } from '@nestjs/common';
import { JobName, VmRepository } from '@xenplane/core';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { locateVm } from './vm-locator.js';
import { VmOperationHandler, type VmContext } from './vm-operation.handler.js';
import { VmOutcomeService } from './vm-outcome.service.js';

/** vm.delete: shut down, destroy the VM and its disks; a VM already gone counts as done. */
@Injectable()
@HandlesJobs(JobName.VmDelete)
export class DeleteVmHandler extends VmOperationHandler {
  constructor(vms: VmRepository, outcome: VmOutcomeService) {
    super(vms, outcome);
  }

  async run({ resource: vm, xapi }: VmContext): Promise<void> {
    const pool = await xapi();
    const found = await locateVm(pool, vm);
    if (found) await pool.destroyVm(found.ref);
  }
}
