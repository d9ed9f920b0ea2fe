import { rm, stat } from 'node:fs/promises';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { ImageRepository, JobName, LOGGER, OperationRepository, caught } from '@xenplane/core';
import { ResourceLifecycle } from '@xenplane/tenancy';
import { IMAGE_VDI_KEY, isXapiError, type VdiFormat, type XapiStorage } from '@xenplane/xapi-driver';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { SagaError, type JobFailure } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { ImageOperationHandler, type ImageContext } from './image-operation.handler.js';
import { Qcow2ConversionError, qcow2ToVhd } from './qcow2-converter.js';

/** xapi refuses a format it does not know before reading the body (import_raw_vdi.ml: Importexport.Format.of_req). */
const unknownFormat = (e: unknown) => isXapiError(e, 'INTERNAL_ERROR') && /unknown format/i.test(e.params.join(' '));

/**
 * image.upload: the spooled file into a new golden VDI on the default SR (PUT /import_raw_vdi, streamed from disk).
 * An import cannot resume halfway, so a retry destroys what an earlier attempt left and imports again; once the
 * import succeeded its checkpoint keeps the VDI. qcow2 goes as it is where the pool takes it, else as a converted VHD.
 */
@Injectable()
@HandlesJobs(JobName.ImageUpload)
export class UploadImageHandler extends ImageOperationHandler<string> {
  constructor(
    @InjectDataSource() ds: DataSource,
    images: ImageRepository,
    operations: OperationRepository,
    lifecycle: ResourceLifecycle,
    @Inject(WORKER_CONFIG) config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super(ds, images, operations, lifecycle, config);
  }

  async run(ctx: ImageContext): Promise<string> {
    const { resource: image, operation } = ctx;
    const storage = await this.storage(ctx);
    const existing = await this.golden(storage, image);
    const imported = operation.checkpoint.importedUuid;
    if (typeof imported === 'string' && existing.some((v) => v.uuid === imported)) {
      await this.dropSpool(ctx); // a worker killed between the checkpoint and the removal
      return imported;
    }
    for (const partial of existing) await storage.destroyVdi(partial.ref);
    const file = await this.spool.find(image.id, operation.id);
    if (!file) throw new SagaError('upload_lost', 'the uploaded file is no longer in the spool: upload it again to a new image');
    const sr = await storage.resolveSr(null);
    const bytes = image.sizeBytes!;
    if (sr.freeBytes < bytes) throw new SagaError('no_storage', `the SR has ${sr.freeBytes} bytes free, the image needs ${bytes}`);
    const vdi = await storage.createVdi({
      srRef: sr.ref,
      nameLabel: `xenplane-image-${image.name}`,
      virtualSize: bytes,
      otherConfig: { [IMAGE_VDI_KEY]: image.id },
    });
    await this.importFile(storage, vdi.ref, file, image.diskFormat ?? 'raw');
    await this.operations.checkpoint(this.ds.manager, image.tenantId!, operation.id, 'imported', { importedUuid: vdi.uuid });
    // Removed before the success commits, not after: once the operation has ended nothing would remove it.
    await this.dropSpool(ctx);
    return vdi.uuid;
  }

  async succeed(ctx: ImageContext, xapiUuid: string): Promise<void> {
    await this.made(ctx, xapiUuid);
  }

  async fail(ctx: ImageContext, failure: JobFailure): Promise<void> {
    await this.failMaking(ctx, failure);
    await this.dropSpool(ctx);
  }

  private async importFile(storage: XapiStorage, vdiRef: string, file: { path: string; bytes: number }, format: VdiFormat): Promise<void> {
    const send = (path: string, bytes: number, as: VdiFormat) =>
      storage.importVdi(vdiRef, this.spool.read(path), { format: as, length: bytes }).catch((e: unknown) => {
        if (isXapiError(e, 'VDI_IO_ERROR')) throw new SagaError('image_invalid', `the pool could not read the ${as} disk: ${e.params.join(' ')}`);
        throw e;
      });
    if (format !== 'qcow2') return send(file.path, file.bytes, format);
    try {
      return await send(file.path, file.bytes, 'qcow2');
    } catch (e) {
      if (!unknownFormat(e)) throw e;
    }
    const vhd = `${file.path}.vhd`;
    try {
      await qcow2ToVhd(file.path, vhd).catch((e: unknown) => {
        throw e instanceof Qcow2ConversionError ? new SagaError('image_invalid', `qemu-img could not read the qcow2 image: ${e.message}`) : e;
      });
      await send(vhd, (await stat(vhd)).size, 'vhd');
    } finally {
      await rm(vhd, { force: true });
    }
  }

  private async dropSpool({ resource: image, operation }: ImageContext): Promise<void> {
    await this.spool
      .remove(image.id, operation.id)
      .catch(caught(this.logger, 'remove an imported upload from the spool', undefined, { imageId: image.id }));
  }
}
