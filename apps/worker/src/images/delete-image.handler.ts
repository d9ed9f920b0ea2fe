import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ImageRepository, JobName, OperationRepository } from '@xenplane/core';
import { ResourceLifecycle } from '@xenplane/tenancy';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import type { JobFailure } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { ImageOperationHandler, type ImageContext } from './image-operation.handler.js';

/** image.delete: the golden VDI destroyed (already gone counts as done), then the row and its imageGiB together. */
@Injectable()
@HandlesJobs(JobName.ImageDelete)
export class DeleteImageHandler extends ImageOperationHandler {
  constructor(
    @InjectDataSource() ds: DataSource,
    images: ImageRepository,
    operations: OperationRepository,
    lifecycle: ResourceLifecycle,
    @Inject(WORKER_CONFIG) config: WorkerConfig,
  ) {
    super(ds, images, operations, lifecycle, config);
  }

  async run(ctx: ImageContext): Promise<void> {
    const storage = await this.storage(ctx);
    for (const vdi of await this.golden(storage, ctx.resource)) await storage.destroyVdi(vdi.ref);
  }

  async succeed({ resource: image, operation }: ImageContext): Promise<void> {
    await this.ds.transaction(async (tx) => {
      await this.lifecycle.apply(tx, this.target(image), 'gone', { patch: { status: 'deleted' }, operationId: operation.id });
      await this.operations.succeed(tx, image.tenantId!, operation.id);
    });
  }

  /** A failed delete keeps the image (and its quota) in error: deleting it again retries. */
  async fail({ resource: image, operation }: ImageContext, failure: JobFailure): Promise<void> {
    await this.ds.transaction(async (tx) => {
      await this.images.patch(tx, image.tenantId!, image.id, { status: 'error', errorReason: failure.code });
      await this.operations.fail(tx, image.tenantId!, operation.id, failure.code, failure.detail);
    });
  }
}
