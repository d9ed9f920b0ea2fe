import { Inject } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ImageRepository, ImageSpool, OperationRepository, type ImageEntity, type ImagePatch, type OperationEntity } from '@xenplane/core';
import { ResourceLifecycle } from '@xenplane/tenancy';
import { IMAGE_VDI_KEY, XapiStorage, type Handle } from '@xenplane/xapi-driver';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { SagaError, type JobFailure } from '../pipeline/job-failure.js';
import type { OperationContext, OperationHandler } from '../pipeline/operation-handler.js';

export type ImageContext = OperationContext<ImageEntity>;

/** What image jobs share: the row (a capture names it in its checkpoint, its resource being the VM), the spool, the golden VDI. */
export abstract class ImageOperationHandler<O = void> implements OperationHandler<ImageEntity, O> {
  protected readonly spool: ImageSpool;

  constructor(
    @InjectDataSource() protected readonly ds: DataSource,
    protected readonly images: ImageRepository,
    protected readonly operations: OperationRepository,
    protected readonly lifecycle: ResourceLifecycle,
    @Inject(WORKER_CONFIG) config: WorkerConfig,
  ) {
    this.spool = new ImageSpool(config.IMAGE_SPOOL_DIR);
  }

  load(operation: OperationEntity): Promise<ImageEntity | null> {
    const id = typeof operation.checkpoint.imageId === 'string' ? operation.checkpoint.imageId : operation.resourceId;
    return this.images.findOwned(operation.tenantId, id);
  }

  poolId(image: ImageEntity): string {
    if (!image.poolId) throw new SagaError('no_pool', `image ${image.id} has no pool`);
    return image.poolId;
  }

  abstract run(ctx: ImageContext): Promise<O>;
  abstract succeed(ctx: ImageContext, result: O): Promise<void>;
  abstract fail(ctx: ImageContext, failure: JobFailure): Promise<void>;

  protected async storage(ctx: ImageContext): Promise<XapiStorage> {
    return new XapiStorage((await ctx.xapi()).client);
  }

  /** The golden VDI(s) a job made for this image: clones of it carry the key too, but only with VBDs of their VMs. */
  protected async golden(storage: XapiStorage, image: ImageEntity): Promise<Handle[]> {
    const found = await storage.findVdisByOtherConfig(IMAGE_VDI_KEY, image.id);
    return found.filter((v) => v.vmRefs.length === 0).map((v) => ({ ref: v.ref, uuid: v.uuid }));
  }

  /** The disk is on the pool: billed from now, the image usable. */
  protected async made({ resource: image, operation }: ImageContext, xapiUuid: string, extra: ImagePatch = {}): Promise<void> {
    await this.ds.transaction(async (tx) => {
      if (Object.keys(extra).length) await this.images.patch(tx, image.tenantId!, image.id, extra);
      const patch = { status: 'active', xapiUuid, errorReason: null };
      await this.lifecycle.apply(tx, this.target(image), 'made', { patch, operationId: operation.id });
      await this.operations.succeed(tx, image.tenantId!, operation.id);
    });
  }

  /** A failed upload or capture destroys what it made and gives the quota back; unknown (pool unreachable) keeps it. */
  protected async failMaking(ctx: ImageContext, failure: JobFailure): Promise<void> {
    const { resource: image, operation } = ctx;
    let gone = false;
    try {
      const storage = await this.storage(ctx);
      for (const vdi of await this.golden(storage, image)) await storage.destroyVdi(vdi.ref);
      gone = true;
    } catch {
      gone = false; // the pool did not answer: the image keeps its quota until a delete settles it
    }
    await this.ds.transaction(async (tx) => {
      const patch = { status: 'error', errorReason: failure.code };
      await this.lifecycle.apply(tx, this.target(image), gone ? 'gone' : 'unconfirmed', { patch, operationId: operation.id });
      await this.operations.fail(tx, image.tenantId!, operation.id, failure.code, failure.detail);
    });
  }

  protected target(image: ImageEntity) {
    return { kind: 'image' as const, tenantId: image.tenantId!, id: image.id };
  }
}
