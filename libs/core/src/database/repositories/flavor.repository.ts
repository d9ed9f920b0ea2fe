import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { FlavorEntity } from '../entities/flavor.entity.js';
import { CatalogRepository, type CatalogPatch, type NewCatalogItem } from './catalog.repository.js';

/** A new flavor: restartOnHostFailure defaults to false. */
export type NewFlavor = NewCatalogItem<Omit<FlavorEntity, 'restartOnHostFailure'>> & Partial<Pick<FlavorEntity, 'restartOnHostFailure'>>;
/** A flavor's change: an item's, and the restart its VMs get from now on (existing VMs keep their own). */
export type FlavorPatch = CatalogPatch & Partial<Pick<FlavorEntity, 'restartOnHostFailure'>>;

/** Flavors are operator-defined and global (not tenant-scoped); tenants see the public ones and those shared with them. */
@Injectable()
export class FlavorRepository extends CatalogRepository<FlavorEntity, NewFlavor, FlavorPatch> {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds, FlavorEntity, 'flavor_id');
  }
}
