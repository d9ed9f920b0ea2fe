import { Injectable } from '@nestjs/common';
import { SagaError } from './job-failure.js';
import { locateVm } from './vm-locator.js';
import type { VmJobContext } from './vm-job.context.js';

const MIB = 1024 * 1024;

/** vm.resize: applies the sizes the row now holds (halted: all limits; running: live, within its maximums). */
@Injectable()
export class ResizeVmHandler {
  async run({ vm, xapi }: VmJobContext): Promise<void> {
    const found = await locateVm(xapi, vm);
    if (!found) throw new SagaError('vanished', 'the VM no longer exists on the pool');
    await xapi.resizeVm(found.ref, { vcpus: vm.vcpus, memoryBytes: vm.memoryMiB * MIB });
  }
}
