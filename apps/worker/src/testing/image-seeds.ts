// Test helper: image rows, spooled uploads and operations written as apps/api images.service and image-upload.service write them.
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import type { EntityManager } from 'typeorm';
import {
  ImageRepository,
  ImageSpool,
  JobName,
  OperationLauncher,
  OperationRepository,
  inspectDiskImage,
  type ImageDiskFormat,
  type ImageEntity,
  type OperationEntity,
  type VmEntity,
} from '@xenplane/core';
import { QuotaService, TenantAccessService, imageFootprint } from '@xenplane/tenancy';
import type { SeedDeps } from './worker-seeds.js';

const GiB = 1024 ** 3;

export class ImageSeeds {
  readonly spool: ImageSpool;

  constructor(
    private readonly deps: SeedDeps,
    spoolDir: string,
  ) {
    this.spool = new ImageSpool(spoolDir);
  }

  /** POST /v1/images then PUT /v1/images/:id/file: the bytes spooled for the operation, imageGiB charged, the image saving. */
  async upload(tenantId: string, bytes: Buffer, format?: ImageDiskFormat): Promise<{ image: ImageEntity; operation: OperationEntity }> {
    const [id, operationId] = [randomUUID(), randomUUID()];
    const disk = inspectDiskImage(format, bytes.length, bytes.subarray(0, 512), bytes.subarray(-512));
    await mkdir(this.spool.dir, { recursive: true });
    await writeFile(this.spool.path(id, operationId), bytes);
    return this.request(tenantId, async (tx) => {
      const sizeGiB = Math.ceil(disk.virtualBytes / GiB);
      const image = await this.deps.get(ImageRepository).insert(tx, {
        id,
        name: `img-${id.slice(0, 8)}`,
        template: 'Debian Bookworm 12',
        configDrive: 'nocloud',
        tenantId,
        visibility: 'private',
        source: 'upload',
        status: 'saving',
        presence: 'requested',
        poolId: this.deps.poolId,
        sizeBytes: disk.virtualBytes,
        sizeGiB,
        diskFormat: disk.format,
      });
      await this.deps.get(QuotaService).charge(tx, tenantId, imageFootprint({ sizeGiB }), { resourceId: id, operationId });
      return { image, operation: await this.launch(tx, tenantId, JobName.ImageUpload, 'image', id, operationId) };
    });
  }

  /** POST /v1/vms/:id/image of a stopped VM. */
  capture(tenantId: string, vm: VmEntity): Promise<{ image: ImageEntity; operation: OperationEntity }> {
    const [id, operationId] = [randomUUID(), randomUUID()];
    return this.request(tenantId, async (tx) => {
      const image = await this.deps.get(ImageRepository).insert(tx, {
        id,
        name: `cap-${id.slice(0, 8)}`,
        template: 'Debian Bookworm 12',
        configDrive: 'nocloud',
        tenantId,
        visibility: 'private',
        source: 'vm',
        status: 'saving',
        presence: 'requested',
        poolId: vm.poolId,
        sourceVmId: vm.id,
        sizeGiB: vm.diskGiB,
      });
      await this.deps.get(QuotaService).charge(tx, tenantId, imageFootprint(image), { resourceId: id, operationId });
      const operation = await this.launch(tx, tenantId, JobName.ImageCapture, 'vm', vm.id, operationId);
      await this.deps.get(OperationRepository).checkpoint(tx, tenantId, operationId, 'accepted', { imageId: id });
      return { image, operation };
    });
  }

  /** DELETE /v1/images/:id of an image with a disk. */
  remove(tenantId: string, id: string): Promise<OperationEntity> {
    return this.request(tenantId, async (tx) => {
      await this.deps.get(ImageRepository).patch(tx, tenantId, id, { status: 'deleting' });
      return this.launch(tx, tenantId, JobName.ImageDelete, 'image', id);
    });
  }

  find(tenantId: string, id: string): Promise<ImageEntity> {
    return this.deps.get(ImageRepository).findOwned(tenantId, id) as Promise<ImageEntity>;
  }

  private request<T>(tenantId: string, fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.deps.ds.transaction(async (tx) => {
      await this.deps.get(TenantAccessService).holdActive(tx, tenantId);
      return fn(tx);
    });
  }

  private launch(tx: EntityManager, tenantId: string, job: JobName, type: string, id: string, operationId?: string): Promise<OperationEntity> {
    return this.deps.get(OperationLauncher).launch(tx, tenantId, job, { type, id }, { requestId: null }, operationId);
  }
}
