import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  NameTakenError,
  isUniqueViolation,
  FlavorRepository,
  ImageRepository,
  type FlavorEntity,
  type ImageEntity,
  type Page,
  type PageRequest,
} from '@xenplane/core';

async function uniquely<T>(kind: string, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err)) throw new NameTakenError(kind, name);
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
    return uniquely('flavor', f.name, () => this.flavors.insert(this.ds.manager, { id: randomUUID(), ...f }));
  }

  listFlavors(page: PageRequest): Promise<Page<FlavorEntity>> {
    return this.flavors.list(page);
  }

  createImage(i: Omit<ImageEntity, 'id' | 'createdAt'>): Promise<ImageEntity> {
    return uniquely('image', i.name, () => this.images.insert(this.ds.manager, { id: randomUUID(), ...i }));
  }

  listImages(page: PageRequest): Promise<Page<ImageEntity>> {
    return this.images.list(page);
  }
}
