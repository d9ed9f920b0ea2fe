import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  DiskImageError,
  DomainError,
  ImageRepository,
  ImageSpool,
  InvalidStateError,
  JobName,
  NotFoundError,
  OperationLauncher,
  PoolRepository,
  UploadTooLargeError,
  inspectDiskImage,
  type ImageDiskFormat,
  type RequestMeta,
  type SpooledUpload,
} from '@xenplane/core';
import { QuotaExceededError, QuotaService, TenantAccessService, firstShortfall, imageFootprint } from '@xenplane/tenancy';
import { randomUUID } from 'node:crypto';
import { API_CONFIG, type ApiConfig } from '../config/api-env.js';
import { ImagesService, type ImageAccepted } from './images.service.js';

const GiB = 1024 ** 3;
/** The largest disk an upload may carry: a VHD's limit (Constants.max_vhd_size, 2040 GiB). */
export const MAX_IMAGE_BYTES = 2040 * GiB;

export interface UploadRequest {
  body: Readable;
  /** Content-Length, when the client framed the body with one (else chunked) */
  length?: number;
  /** The sha256 (hex) the client says the bytes have */
  sha256?: string;
  format?: ImageDiskFormat;
}

/**
 * Uploads of a queued image's disk. The bytes go to the spool (a file, streamed with backpressure: memory stays
 * bounded whatever the size), counted and hashed on the way; only a complete upload whose sha256 matches is
 * accepted, and then in one transaction: quota charged, image saving, operation recorded. Anything else keeps nothing.
 */
@Injectable()
export class ImageUploadService {
  private readonly spool: ImageSpool;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(API_CONFIG) config: ApiConfig,
    private readonly images: ImageRepository,
    private readonly owned: ImagesService,
    private readonly pools: PoolRepository,
    private readonly quota: QuotaService,
    private readonly tenants: TenantAccessService,
    private readonly launcher: OperationLauncher,
  ) {
    this.spool = new ImageSpool(config.IMAGE_SPOOL_DIR);
  }

  async upload(tenantId: string, id: string, req: UploadRequest, meta: RequestMeta): Promise<ImageAccepted> {
    const image = await this.owned.owned(tenantId, id);
    this.assertQueued(image.status);
    // A raw upload's size is known before its first byte: refuse what cannot fit before receiving it.
    if (req.length !== undefined && (req.format ?? 'raw') === 'raw') await this.precheck(tenantId, req.length);
    let received: SpooledUpload;
    try {
      received = await this.spool.receive(id, req.body, MAX_IMAGE_BYTES);
    } catch (e) {
      if (e instanceof UploadTooLargeError) throw new DomainError('payload_too_large', e.message);
      throw new DomainError('upload_incomplete', 'the upload ended before all its bytes arrived: nothing was kept');
    }
    try {
      return await this.accept(tenantId, id, received, req, meta);
    } catch (e) {
      await this.spool.discard(received.path);
      throw e;
    }
  }

  private async accept(tenantId: string, id: string, got: SpooledUpload, req: UploadRequest, meta: RequestMeta): Promise<ImageAccepted> {
    if (req.length !== undefined && got.bytes !== req.length) {
      throw new DomainError('upload_incomplete', `the upload ended after ${got.bytes} of ${req.length} bytes: nothing was kept`);
    }
    if (req.sha256 && req.sha256 !== got.sha256) {
      const detail = `the upload has sha256 ${got.sha256}, not the ${req.sha256} sent with it: nothing was kept`;
      throw new DomainError('checksum_mismatch', detail, { expected: req.sha256, actual: got.sha256 });
    }
    let disk;
    try {
      disk = inspectDiskImage(req.format, got.bytes, got.head, got.tail);
    } catch (e) {
      if (e instanceof DiskImageError) throw new DomainError('image_invalid', e.message);
      throw e;
    }
    if (disk.virtualBytes > MAX_IMAGE_BYTES) throw new DomainError('image_invalid', `the disk is larger than ${MAX_IMAGE_BYTES} bytes`);
    const pool = await this.pools.findDefault();
    if (!pool) throw new DomainError('unavailable', 'no XAPI pool is registered');
    const operationId = randomUUID();
    return this.ds.transaction(async (tx) => {
      await this.tenants.holdActive(tx, tenantId);
      const image = await this.images.findOwnedForUpdate(tx, tenantId, id);
      if (!image || image.status === 'deleted') throw new NotFoundError('image', id);
      await this.owned.assertIdle(tx, tenantId, id, 'image');
      this.assertQueued(image.status);
      const sizeGiB = Math.ceil(disk.virtualBytes / GiB);
      await this.quota.charge(tx, tenantId, imageFootprint({ sizeGiB }), { resourceId: id, operationId });
      const patch = {
        status: 'saving' as const,
        poolId: pool.id,
        sizeBytes: disk.virtualBytes,
        sizeGiB,
        diskFormat: disk.format,
        sha256: got.sha256,
      };
      await this.images.patch(tx, tenantId, id, patch);
      const operation = await this.launcher.launch(tx, tenantId, JobName.ImageUpload, { type: 'image', id }, meta, operationId);
      // Renamed before the commit: a worker that runs the operation finds its file; a failed commit discards it.
      await this.spool.accept(got.path, id, operationId);
      got.path = this.spool.path(id, operationId);
      return { image: { ...image, ...patch }, operation };
    });
  }

  private async precheck(tenantId: string, bytes: number): Promise<void> {
    if (bytes > MAX_IMAGE_BYTES) throw new DomainError('payload_too_large', `the upload is larger than ${MAX_IMAGE_BYTES} bytes`);
    const shortfall = firstShortfall(await this.quota.get(tenantId), imageFootprint({ sizeGiB: Math.ceil(bytes / GiB) }));
    if (shortfall) throw new QuotaExceededError(shortfall);
  }

  private assertQueued(status: string): void {
    if (status === 'queued') return;
    throw new InvalidStateError(`an image takes one upload, while queued; this one is ${status}`, { currentStatus: status, action: 'upload' });
  }
}
