import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { FlavorEntity } from '../entities/flavor.entity.js';
import type { Page, PageRequest } from '../pagination.js';
import { pageBy } from './keyset.js';

/** Flavors are operator-defined and global (not tenant-scoped). */
@Injectable()
export class FlavorRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(tx: EntityManager, flavor: Omit<FlavorEntity, 'createdAt'>): Promise<FlavorEntity> {
    const inserted = await tx.createQueryBuilder().insert().into(FlavorEntity).values(flavor).returning('*').execute();
    return tx.create(FlavorEntity, inserted.generatedMaps[0] as FlavorEntity);
  }

  find(id: string): Promise<FlavorEntity | null> {
    return this.ds.manager.findOne(FlavorEntity, { where: { id } });
  }

  list(page: PageRequest): Promise<Page<FlavorEntity>> {
    return pageBy(this.ds.manager.createQueryBuilder(FlavorEntity, 'f'), 'f', page);
  }
}
