import { Inject, Injectable } from '@nestjs/common';
import { JobName, VmRepository } from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { SagaError } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { ConfigDriveService } from './config-drive.service.js';
import { locateVm } from './vm-locator.js';
import { VmOperationHandler, type VmContext } from './vm-operation.handler.js';
import { VmOutcomeService } from './vm-outcome.service.js';
import { VmHostChooser } from './vm-host-chooser.js';

/** vm.start / vm.stop / vm.reboot on an existing VM; each is a no-op when XAPI already shows the result. */
@Injectable()
@HandlesJobs(JobName.VmStart, JobName.VmStop, JobName.VmReboot)
export class PowerVmHandler extends VmOperationHandler {
  constructor(
    vms: VmRepository,
    outcome: VmOutcomeService,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly drives: ConfigDriveService,
    private readonly chooser: VmHostChooser,
  ) {
    super(vms, outcome);
  }

  async run({ operation, resource: vm, xapi }: VmContext): Promise<void> {
    const pool = await xapi();
    const found = await locateVm(pool, vm);
    if (!found) throw new SagaError('vanished', 'the VM no longer exists on the pool');
    const { power_state: power } = await pool.getVm(found.ref);
    switch (operation.kind) {
      case JobName.VmStart:
        if (power === 'Running') return;
        // What changed while it was off (its NICs) reaches the guest on this boot: same instance-id, new network-config.
        await this.drives.ensure(pool, vm, found.ref);
        await this.chooser.start(pool, vm, operation, found.ref);
        return;
      case JobName.VmStop:
        if (power !== 'Halted') await pool.shutdownVm(found.ref, { cleanTimeoutMs: this.config.VM_CLEAN_SHUTDOWN_TIMEOUT_MS });
        return;
      case JobName.VmReboot:
        if (power === 'Running') await pool.rebootVm(found.ref);
        else await pool.startVm(found.ref);
        return;
      default:
        throw new SagaError('internal', `PowerVmHandler cannot run ${operation.kind}`);
    }
  }
}
