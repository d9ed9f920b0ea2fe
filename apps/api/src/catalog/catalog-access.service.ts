import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  DomainError,
  fieldError,
  FlavorRepository,
  ImageRepository,
  visibleTo,
  type CatalogItem,
  type FlavorEntity,
  type ImageEntity,
} from '@xenplane/core';

/** Whether an item may go into a new VM (or a resize): what the tenant cannot see, or is deleted, does not exist for it. */
function usable<T extends CatalogItem>(item: T | null, path: 'flavorId' | 'imageId'): T {
  const kind = path === 'flavorId' ? 'flavor' : 'image';
  if (!item || item.status === 'deleted') throw fieldError(path, `no such ${kind}`);
  if (item.status !== 'active' && item.status !== 'deprecated') {
    const message = `image ${item.id} ("${item.name}") is ${item.status}: it has no disk to boot from yet`;
    throw new DomainError('image_not_ready', message, { currentStatus: item.status, errors: [{ path, message }] });
  }
  if (item.status === 'deprecated') {
    const message = `${kind} ${item.id} ("${item.name}") is deprecated: existing VMs keep it, new ones cannot use it`;
    throw new DomainError(path === 'flavorId' ? 'flavor_deprecated' : 'image_deprecated', message, { errors: [{ path, message }] });
  }
  return item;
}

/** The catalogue as VM creates and resizes use it: only what the tenant may see, and only while it is active. */
@Injectable()
export class CatalogAccess {
  constructor(
    private readonly flavors: FlavorRepository,
    private readonly images: ImageRepository,
  ) {}

  async flavor(tenantId: string, id: string): Promise<FlavorEntity> {
    return usable(await this.flavors.find(id, tenantId), 'flavorId');
  }

  async image(tenantId: string, id: string): Promise<ImageEntity> {
    return usable(await this.images.find(id, tenantId), 'imageId');
  }

  /**
   * In the transaction that records the VM (or its new size): share-locks the rows, so a concurrent delete or
   * deprecation waits and then sees this VM, and checks that the tenant may use them; answers the rows it read.
   */
  async hold(tx: EntityManager, tenantId: string, ids: { flavorId: string }): Promise<{ flavor: FlavorEntity }>;
  async hold(tx: EntityManager, tenantId: string, ids: { flavorId: string; imageId: string }): Promise<{ flavor: FlavorEntity; image: ImageEntity }>;
  async hold(
    tx: EntityManager,
    tenantId: string,
    ids: { flavorId: string; imageId?: string },
  ): Promise<{ flavor: FlavorEntity; image?: ImageEntity }> {
    const held = await this.flavors.holdForUse(tx, ids.flavorId);
    const flavor = usable(held && visibleTo(held, tenantId) ? held : null, 'flavorId');
    if (ids.imageId === undefined) return { flavor };
    const image = await this.images.holdForUse(tx, ids.imageId);
    return { flavor, image: usable(image && visibleTo(image, tenantId) ? image : null, 'imageId') };
  }
}
