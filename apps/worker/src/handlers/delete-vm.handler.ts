import { Injectable } from '@nestjs/common';
import { locateVm } from './vm-locator.js';
import type { VmJobContext } from './vm-job.context.js';

/** vm.delete: shut down, destroy the VM and its disks; a VM already gone counts as done. */
@Injectable()
export class DeleteVmHandler {
  async run({ vm, xapi }: VmJobContext): Promise<void> {
    const found = await locateVm(xapi, vm);
    if (found) await xapi.destroyVm(found.ref);
  }
}
