import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { JobName, OperationRepository, VolumeRepository } from '@xenplane/core';
import { VOLUME_VDI_KEY } from '@xenplane/xapi-driver';
import { ResourceLifecycle } from '@xenplane/tenancy';
import type { JobFailure } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { VolumeOperationHandler, type VolumeContext } from './volume-operation.handler.js';

/** volume.delete: VDI.destroy (already gone counts as done), then the row and its quota together. */
@Injectable()
@HandlesJobs(JobName.VolumeDelete)
export class DeleteVolumeHandler extends VolumeOperationHandler {
  constructor(@InjectDataSource() ds: DataSource, volumes: VolumeRepository, operations: OperationRepository, lifecycle: ResourceLifecycle) {
    super(ds, volumes, operations, lifecycle);
  }

  async run(ctx: VolumeContext): Promise<void> {
    const storage = await this.storage(ctx);
    const found = await storage.findVdiByOtherConfig(VOLUME_VDI_KEY, ctx.resource.id);
    if (!found) return;
    // The API refuses a delete while attached; a VBD left by a crashed detach goes first (XAPI refuses VDI_IN_USE).
    for (const vbd of await storage.vbdsOfVdi(found.ref)) {
      if (vbd.currentlyAttached) await storage.unplugVbd(vbd.ref, { force: true });
      await storage.destroyVbd(vbd.ref);
    }
    await storage.destroyVdi(found.ref);
  }

  async succeed({ resource: volume, operation }: VolumeContext): Promise<void> {
    await this.ds.transaction(async (tx) => {
      await this.lifecycle.apply(tx, this.target(volume), 'gone', { patch: { status: 'deleted' }, operationId: operation.id });
      await this.operations.succeed(tx, volume.tenantId, operation.id);
    });
  }

  /** A failed delete keeps the volume and its quota until a retry. */
  async fail(ctx: VolumeContext, failure: JobFailure): Promise<void> {
    await this.finish(ctx, { status: 'error', errorReason: failure.code }, failure);
  }
}
