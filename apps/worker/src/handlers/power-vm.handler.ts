import { Inject, Injectable } from '@nestjs/common';
import { JobName } from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { SagaError } from './job-failure.js';
import { locateVm } from './vm-locator.js';
import type { VmJobContext } from './vm-job.context.js';

/** vm.start / vm.stop / vm.reboot on an existing VM; each is a no-op when XAPI already shows the result. */
@Injectable()
export class PowerVmHandler {
  constructor(@Inject(WORKER_CONFIG) private readonly config: WorkerConfig) {}

  async run({ operation, vm, xapi }: VmJobContext): Promise<void> {
    const found = await locateVm(xapi, vm);
    if (!found) throw new SagaError('vanished', 'the VM no longer exists on the pool');
    const { power_state: power } = await xapi.getVm(found.ref);
    switch (operation.kind) {
      case JobName.VmStart:
        if (power !== 'Running') await xapi.startVm(found.ref);
        return;
      case JobName.VmStop:
        if (power !== 'Halted') await xapi.shutdownVm(found.ref, { cleanTimeoutMs: this.config.VM_CLEAN_SHUTDOWN_TIMEOUT_MS });
        return;
      case JobName.VmReboot:
        if (power === 'Running') await xapi.rebootVm(found.ref);
        else await xapi.startVm(found.ref);
        return;
      default:
        throw new SagaError('internal', `PowerVmHandler cannot run ${operation.kind}`);
    }
  }
}
