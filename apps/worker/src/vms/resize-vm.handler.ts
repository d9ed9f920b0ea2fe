import { Injectable } from '@nestjs/common';
import { JobName, VmRepository } from '@xenplane/core';
import { SagaError } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { locateVm } from './vm-locator.js';
import { VmOperationHandler, type VmContext } from './vm-operation.handler.js';
import { VmOutcomeService } from './vm-outcome.service.js';

const MIB = 1024 * 1024;

/** vm.resize: applies the sizes the row now holds (halted: all limits; running: live, within its maximums). */
@Injectable()
@HandlesJobs(JobName.VmResize)
export class ResizeVmHandler extends VmOperationHandler {
  constructor(vms: VmRepository, outcome: VmOutcomeService) {
    super(vms, outcome);
  }

  async run({ resource: vm, xapi }: VmContext): Promise<void> {
    const pool = await xapi();
    const found = await locateVm(pool, vm);
    if (!found) throw new SagaError('vanished', 'the VM no longer exists on the pool');
    await pool.resizeVm(found.ref, { vcpus: vm.vcpus, memoryBytes: vm.memoryMiB * MIB });
  }
}
