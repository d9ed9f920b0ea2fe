import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { ImageEntity } from '../entities/image.entity.js';
import { rows } from '../sql.js';
import { CatalogRepository, type NewCatalogItem } from './catalog.repository.js';

/** Columns of a tenant's image that its upload, capture and delete change. */
export type ImagePatch = Partial<
  Pick<ImageEntity, 'status' | 'poolId' | 'xapiUuid' | 'diskFormat' | 'sizeBytes' | 'sizeGiB' | 'sha256' | 'errorReason' | 'sourceVmId'>
>;

/** An operator's image names a template; a tenant's adds its owner, source and (a capture) its size and status. */
export type NewImage = NewCatalogItem<Pick<ImageEntity, 'id' | 'name' | 'template' | 'configDrive'>> &
  Partial<Pick<ImageEntity, 'tenantId' | 'source' | 'poolId' | 'sourceVmId' | 'sizeGiB' | 'sizeBytes' | 'presence' | 'status' | 'diskFormat'>> &
  Partial<Pick<ImageEntity, 'visibility'>>;

/**
 * Images: operators' (a XAPI template, public or shared with named tenants) and tenants' own (private, with a
 * golden VDI). Tenant-scoped methods take the owner's id first (the transaction before it for writes).
 */
@Injectable()
export class ImageRepository extends CatalogRepository<ImageEntity, NewImage> {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds, ImageEntity, 'image_id', true);
  }

  /** A tenant's own image (not one merely visible to it), locked for the rest of `tx`. */
  findOwnedForUpdate(tx: EntityManager, tenantId: string, id: string): Promise<ImageEntity | null> {
    return tx
      .createQueryBuilder(ImageEntity, 'x')
      .where('x.id = :id AND x.tenant_id = :tenantId', { id, tenantId })
      .setLock('pessimistic_write')
      .getOne();
  }

  /** A tenant's own image, as a worker reloads it. */
  findOwned(tenantId: string, id: string, q: EntityManager = this.ds.manager): Promise<ImageEntity | null> {
    return q.createQueryBuilder(ImageEntity, 'x').where('x.id = :id AND x.tenant_id = :tenantId', { id, tenantId }).getOne();
  }

  async patch(tx: EntityManager, tenantId: string, id: string, patch: ImagePatch): Promise<void> {
    await tx.update(ImageEntity, { id, tenantId }, { ...patch, updatedAt: () => 'now()' });
  }

  /** Cross-tenant (the spool sweeper's): the images whose upload is being imported, so their spooled files stay. */
  async savingIds(): Promise<string[]> {
    return (await rows<{ id: string }>(this.ds.manager, `SELECT id FROM images WHERE status = 'saving'`)).map((r) => r.id);
  }
}
