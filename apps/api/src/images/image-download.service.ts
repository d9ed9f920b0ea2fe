import type { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { PoolConsoleConnector } from '../console/pool-console.connector.js';
import { ImagesService, notReady } from './images.service.js';

export interface ImageFile {
  stream: Readable;
  type: string;
  filename: string;
  /** Known for raw: the disk's size */
  length?: number;
}

/** Reads a tenant's golden disk back from its pool (the console connector's one connection, read-only). */
@Injectable()
export class ImageDownloadService {
  constructor(
    private readonly images: ImagesService,
    private readonly pools: PoolConsoleConnector,
  ) {}

  async open(tenantId: string, id: string, format: 'raw' | 'vhd'): Promise<ImageFile> {
    const image = await this.images.owned(tenantId, id);
    if (!image.xapiUuid || !image.poolId || !['active', 'deprecated'].includes(image.status)) throw notReady(image);
    const stream = await this.pools.exportDisk(image.poolId, image.xapiUuid, format);
    return {
      stream,
      type: format === 'vhd' ? 'application/vhd' : 'application/octet-stream',
      filename: `${image.name}.${format === 'vhd' ? 'vhd' : 'img'}`,
      length: format === 'raw' ? (image.sizeBytes ?? undefined) : undefined,
    };
  }
}
