import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { JobName, OperationRepository, VolumeRepository } from '@xenplane/core';
import { isXapiError } from '@xenplane/xapi-driver';
import { ResourceLifecycle } from '@xenplane/tenancy';
import { SagaError, type JobFailure } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { VolumeOperationHandler, type VolumeContext } from './volume-operation.handler.js';
import { canHotplug, requiresStop } from './volume-vm.js';

/** volume.detach: VBD.unplug (unplug_force only when asked) then VBD.destroy; a VBD already gone counts as done. */
@Injectable()
@HandlesJobs(JobName.VolumeDetach)
export class DetachVolumeHandler extends VolumeOperationHandler {
  constructor(@InjectDataSource() ds: DataSource, volumes: VolumeRepository, operations: OperationRepository, lifecycle: ResourceLifecycle) {
    super(ds, volumes, operations, lifecycle);
  }

  async run(ctx: VolumeContext): Promise<void> {
    const force = ctx.operation.checkpoint.force === true;
    const storage = await this.storage(ctx);
    const vdi = await this.vdi(storage, ctx.resource);
    for (const vbd of await storage.vbdsOfVdi(vdi.ref)) {
      if (vbd.currentlyAttached) {
        if (!force && !(await canHotplug(storage, vbd.vmRef))) throw requiresStop('detach');
        try {
          await storage.unplugVbd(vbd.ref, { force });
        } catch (e) {
          // The guest said no: the volume stays attached and the tenant sees why.
          if (isXapiError(e, 'DEVICE_DETACH_REJECTED'))
            throw new SagaError('device_detach_rejected', 'the guest refused the detach; retry with force');
          throw e;
        }
      }
      await storage.destroyVbd(vbd.ref);
    }
  }

  async succeed(ctx: VolumeContext): Promise<void> {
    await this.finish(ctx, { status: 'available', vmId: null, vbdUuid: null, device: null, errorReason: null });
  }

  /** A failed detach leaves the volume attached (its VBD is still there, plugged or not). */
  async fail(ctx: VolumeContext, failure: JobFailure): Promise<void> {
    await this.finish(ctx, { status: 'in-use', errorReason: failure.code }, failure);
  }
}
