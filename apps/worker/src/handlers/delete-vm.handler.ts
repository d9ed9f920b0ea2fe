import { Injectable } from '@nestjs/common';
import { VM_ID_KEY, type VmJobContext } from './vm-job.context.js';

/** vm.delete: shut down, destroy the VM and its disks; a VM already gone counts as done. */
@Injectable()
export class DeleteVmHandler {
  async run({ vm, xapi }: VmJobContext): Promise<void> {
    const found = (await xapi.findVmByOtherConfig(VM_ID_KEY, vm.id)) ?? (vm.xapiUuid ? await xapi.getVmByUuid(vm.xapiUuid) : null);
    if (found) await xapi.destroyVm(found.ref);
  }
}
