import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ImageRepository, JobName, OperationRepository, VmRepository } from '@xenplane/core';
import { ResourceLifecycle } from '@xenplane/tenancy';
import { IMAGE_VDI_KEY } from '@xenplane/xapi-driver';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { SagaError, type JobFailure } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { ImageOperationHandler, type ImageContext } from './image-operation.handler.js';

/**
 * image.capture: a stopped VM's boot disk copied into a golden VDI of the image's own. The VDI is made (marked)
 * before the copy fills it, so a crash leaves nothing unnamed; a retry copies into it again until the copy succeeded.
 */
@Injectable()
@HandlesJobs(JobName.ImageCapture)
export class CaptureImageHandler extends ImageOperationHandler<{ uuid: string; sizeBytes: number }> {
  constructor(
    @InjectDataSource() ds: DataSource,
    images: ImageRepository,
    operations: OperationRepository,
    lifecycle: ResourceLifecycle,
    @Inject(WORKER_CONFIG) config: WorkerConfig,
    private readonly vms: VmRepository,
  ) {
    super(ds, images, operations, lifecycle, config);
  }

  async run(ctx: ImageContext): Promise<{ uuid: string; sizeBytes: number }> {
    const { resource: image, operation } = ctx;
    const storage = await this.storage(ctx);
    const copied = operation.checkpoint.copiedUuid;
    const existing = await this.golden(storage, image);
    const done = existing.find((v) => v.uuid === copied);
    if (done) return { uuid: done.uuid, sizeBytes: await storage.vdiSize(done.ref) };
    const vm = image.sourceVmId ? await this.vms.find(image.tenantId!, image.sourceVmId) : null;
    const vmRef = vm?.xapiUuid ? await storage.client.call<string>('VM.get_by_uuid', vm.xapiUuid).catch(() => null) : null;
    if (!vmRef) throw new SagaError('vanished', 'the VM is no longer on the pool');
    const power = await storage.client.call<string>('VM.get_power_state', vmRef);
    if (power !== 'Halted') throw new SagaError('invalid_state', `the VM is ${power}: an image is made from a stopped VM`);
    const root = await storage.rootDisk(vmRef);
    if (!root) throw new SagaError('no_disk', 'the VM has no boot disk to make an image of');
    const target =
      existing[0] ??
      (await storage.createVdi({
        srRef: root.srRef,
        nameLabel: `xenplane-image-${image.name}`,
        virtualSize: root.bytes,
        otherConfig: { [IMAGE_VDI_KEY]: image.id },
      }));
    for (const extra of existing.slice(1)) await storage.destroyVdi(extra.ref);
    await storage.copyVdi(root.ref, { intoRef: target.ref });
    await this.operations.checkpoint(this.ds.manager, image.tenantId!, operation.id, 'copied', { copiedUuid: target.uuid });
    return { uuid: target.uuid, sizeBytes: root.bytes };
  }

  async succeed(ctx: ImageContext, result: { uuid: string; sizeBytes: number }): Promise<void> {
    await this.made(ctx, result.uuid, { sizeBytes: result.sizeBytes });
  }

  async fail(ctx: ImageContext, failure: JobFailure): Promise<void> {
    await this.failMaking(ctx, failure);
  }
}
