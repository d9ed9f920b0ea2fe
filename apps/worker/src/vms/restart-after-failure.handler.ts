import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { JobName, VmRepository } from '@xenplane/core';
import { XapiError } from '@xenplane/xapi-driver';
import type { JobFailure } from '../pipeline/job-failure.js';
import { SagaError } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { ConfigDriveService } from './config-drive.service.js';
import { locateVm } from './vm-locator.js';
import { VmOperationHandler, type VmContext } from './vm-operation.handler.js';
import { VmOutcomeService } from './vm-outcome.service.js';
import { VmHostChooser } from './vm-host-chooser.js';

export const HOST_FAILED = 'host_failed';

/**
 * A VM of a host declared dead (HostFailureService names the host in the checkpoint). First the fence: while XAPI
 * shows the VM running there, VM.power_state_reset, which the pool refuses (HOST_IS_LIVE) if the host is alive, so a
 * VM is never started twice. Then vm.restart-after-failure starts it on a host the scheduler picks (the dead one is
 * not live, so never chosen) with its disks, volumes and NICs, which stay on the XAPI VM; vm.stop-after-failure
 * leaves it stopped with errorReason host_failed. A VM already running elsewhere is done: a resumed job never
 * restarts it again.
 */
@Injectable()
@HandlesJobs(JobName.VmRestartAfterFailure, JobName.VmStopAfterFailure)
export class RestartAfterFailureHandler extends VmOperationHandler {
  constructor(
    vms: VmRepository,
    outcome: VmOutcomeService,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly drives: ConfigDriveService,
    private readonly chooser: VmHostChooser,
  ) {
    super(vms, outcome);
  }

  async run({ operation, resource: vm, xapi: connect }: VmContext): Promise<void> {
    const xapi = await connect();
    const found = await locateVm(xapi, vm);
    if (!found) throw new SagaError('vanished', 'the VM no longer exists on the pool');
    const record = await xapi.getVm(found.ref);
    if (record.power_state === 'Running' || record.power_state === 'Paused') {
      const residentUuid = await xapi.client.call<string>('host.get_uuid', record.resident_on);
      if (residentUuid !== operation.checkpoint.failedHostUuid) return;
      await xapi.resetPowerState(found.ref).catch((err: unknown) => {
        if (err instanceof XapiError && err.code === 'HOST_IS_LIVE') {
          throw new SagaError('host_alive', 'the pool shows the host alive again: the VM was neither reset nor restarted');
        }
        throw err;
      });
      // Its billing interval ends at the reset, not when a restart ends (the row's status waits for the operation).
      await this.vms.recordObserved(this.ds.manager, vm.tenantId, vm.id, { powerState: 'Halted', hostUuid: null, status: 'stopped' });
    } else if (record.power_state !== 'Halted') {
      throw new SagaError('invalid_state', `a ${record.power_state} VM is not restarted`);
    }
    if (operation.kind === JobName.VmStopAfterFailure) return;
    await this.drives.ensure(xapi, vm, found.ref);
    await this.chooser.start(xapi, vm, operation, found.ref);
  }

  override async succeed(ctx: VmContext): Promise<void> {
    ctx.resource = (await this.vms.find(ctx.resource.tenantId, ctx.resource.id)) ?? ctx.resource;
    await this.outcome.succeeded(ctx, { alongside: (tx) => this.markStopped(tx, ctx) });
  }

  override fail(ctx: VmContext, failure: JobFailure): Promise<void> {
    return this.outcome.failed(ctx, failure, { alongside: (tx) => this.markStopped(tx, ctx) });
  }

  /** A VM left stopped by its host's death says so. */
  private async markStopped(tx: EntityManager, { resource: vm }: VmContext): Promise<void> {
    const now = await this.vms.find(vm.tenantId, vm.id, tx);
    if (now?.status === 'stopped') await this.vms.update(tx, vm.tenantId, vm.id, { errorReason: HOST_FAILED });
  }
}
