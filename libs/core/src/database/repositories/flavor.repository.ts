import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { FlavorEntity } from '../entities/flavor.entity.js';
import { CatalogRepository } from './catalog.repository.js';

/** Flavors are operator-defined and global (not tenant-scoped); tenants see the public ones and those shared with them. */
@Injectable()
export class FlavorRepository extends CatalogRepository<FlavorEntity> {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds, FlavorEntity, 'flavor_id');
  }
}
