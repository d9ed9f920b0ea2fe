import { Injectable } from '@nestjs/common';
import { JobName, VmNicRepository, VmRepository } from '@xenplane/core';
import { ResourceLifecycle } from '@xenplane/tenancy';
import type { JobFailure } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { ConfigDriveService } from './config-drive.service.js';
import { NicOperationHandler } from './nic-operation.handler.js';
import type { VmContext } from './vm-operation.handler.js';
import { VmOutcomeService } from './vm-outcome.service.js';

/**
 * vm.remove-nic: the VIF unplugged (where xapi allows it on a running guest) and destroyed, the drive rebuilt without
 * it; the address (and a public one's publicIps quota) goes back only with the operation's success, once nothing on the pool uses it.
 */
@Injectable()
@HandlesJobs(JobName.VmRemoveNic)
export class RemoveNicHandler extends NicOperationHandler {
  constructor(vms: VmRepository, outcome: VmOutcomeService, nics: VmNicRepository, drives: ConfigDriveService, lifecycle: ResourceLifecycle) {
    super(vms, outcome, nics, drives, lifecycle);
  }

  async run(ctx: VmContext): Promise<void> {
    const nic = await this.nic(ctx);
    const on = nic ? await this.vmOnPool(ctx) : null;
    // Gone with the VM, or released by an earlier attempt: nothing left to take off.
    if (!nic || !on) return;
    const vif = await this.vifOf(on, nic.mac);
    if (vif) await this.removeVif(on, vif);
    await this.refreshDrive(ctx, on);
  }

  override async succeed(ctx: VmContext): Promise<void> {
    await this.outcome.succeeded(ctx, { alongside: async (tx) => void (await this.release(tx, ctx)) });
  }

  /** A failed removal keeps the NIC (and its address) while its VIF is still on the VM; without one, the address is released. */
  override async fail(ctx: VmContext, failure: JobFailure): Promise<void> {
    const nic = await this.nic(ctx);
    const on = nic ? await this.vmOnPool(ctx) : null;
    const stays = !!(nic && on && (await this.vifOf(on, nic.mac)));
    const nicId = this.nicId(ctx);
    await this.outcome.failed(ctx, failure, {
      alongside: async (tx) => {
        if (stays) await this.nics.setStatus(tx, ctx.resource.tenantId, nicId, 'attached');
        else await this.release(tx, ctx);
      },
    });
  }
}
