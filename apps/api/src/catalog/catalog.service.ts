import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  ConflictError,
  isUniqueViolation,
  FlavorRepository,
  ImageRepository,
  type FlavorEntity,
  type ImageEntity,
  type Page,
  type PageRequest,
} from '@xenplane/core';

async function uniquely<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(`${what} exists`);
    throw err;
  }
}

/** Operator-defined flavors and images that tenants build VMs from. */
@Injectable()
export class CatalogService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly flavors: FlavorRepository,
    private readonly images: ImageRepository,
  ) {}

  createFlavor(f: Omit<FlavorEntity, 'id' | 'createdAt'>): Promise<FlavorEntity> {
    return uniquely(`a flavor named "${f.name}"`, () => this.flavors.insert(this.ds.manager, { id: randomUUID(), ...f }));
  }

  listFlavors(page: PageRequest): Promise<Page<FlavorEntity>> {
    return this.flavors.list(page);
  }

  createImage(i: Omit<ImageEntity, 'id' | 'createdAt' | 'configDrive'> & { configDrive?: ImageEntity['configDrive'] }): Promise<ImageEntity> {
    const image = { id: randomUUID(), name: i.name, template: i.template, configDrive: i.configDrive ?? 'nocloud' };
    return uniquely(`an image named "${i.name}"`, () => this.images.insert(this.ds.manager, image));
  }

  listImages(page: PageRequest): Promise<Page<ImageEntity>> {
    return this.images.list(page);
  }
}
