import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { JobName, OperationRepository, VolumeRepository, derivedUuid } from '@xenplane/core';
import { QuotaService, ResourceLifecycle } from '@xenplane/tenancy';
import { SagaError, type JobFailure } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { GiB, VolumeOperationHandler, type VolumeContext } from './volume-operation.handler.js';

/** volume.resize: VDI.resize to the size the row now holds; XAPI refuses it while plugged, so a plugged VBD is refused first. */
@Injectable()
@HandlesJobs(JobName.VolumeResize)
export class ResizeVolumeHandler extends VolumeOperationHandler {
  constructor(
    @InjectDataSource() ds: DataSource,
    volumes: VolumeRepository,
    operations: OperationRepository,
    lifecycle: ResourceLifecycle,
    private readonly quota: QuotaService,
  ) {
    super(ds, volumes, operations, lifecycle);
  }

  async run(ctx: VolumeContext): Promise<void> {
    const storage = await this.storage(ctx);
    const vdi = await this.vdi(storage, ctx.resource);
    const bytes = ctx.resource.sizeGiB * GiB;
    // A retry after XAPI applied it has nothing left to do.
    if ((await storage.vdiSize(vdi.ref)) >= bytes) return;
    if ((await storage.vbdsOfVdi(vdi.ref)).some((b) => b.currentlyAttached)) {
      throw new SagaError('detach_required', 'the volume is plugged into a running VM: detach it or stop the VM');
    }
    await storage.resizeVdi(vdi.ref, bytes);
  }

  async succeed(ctx: VolumeContext): Promise<void> {
    await this.finish(ctx, { status: this.settled(ctx.resource), errorReason: null });
  }

  /** A failed grow goes back to the size it had and gives back what it charged (keyed, so a retried failure does it once). */
  async fail(ctx: VolumeContext, failure: JobFailure): Promise<void> {
    const { resource: v, operation } = ctx;
    const previous = Number(operation.checkpoint.previousSizeGiB ?? v.sizeGiB);
    await this.ds.transaction(async (tx) => {
      await this.volumes.update(tx, v.tenantId, v.id, { sizeGiB: previous, status: this.settled(v), errorReason: failure.code });
      const back = { volumeGiB: previous - v.sizeGiB };
      await this.quota.charge(tx, v.tenantId, back, { resourceId: v.id, operationId: derivedUuid(operation.id, 'revert') });
      await this.operations.fail(tx, v.tenantId, operation.id, failure.code, failure.detail);
    });
  }
}
