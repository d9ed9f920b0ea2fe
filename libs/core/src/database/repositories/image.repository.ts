import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { ImageEntity } from '../entities/image.entity.js';
import type { Page, PageRequest } from '../pagination.js';
import { pageBy } from './keyset.js';

/** Images map a public name to a XAPI template; global, operator-defined. */
@Injectable()
export class ImageRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(tx: EntityManager, image: Omit<ImageEntity, 'createdAt'>): Promise<ImageEntity> {
    const inserted = await tx.createQueryBuilder().insert().into(ImageEntity).values(image).returning('*').execute();
    return tx.create(ImageEntity, inserted.generatedMaps[0] as ImageEntity);
  }

  find(id: string): Promise<ImageEntity | null> {
    return this.ds.manager.findOne(ImageEntity, { where: { id } });
  }

  list(page: PageRequest): Promise<Page<ImageEntity>> {
    return pageBy(this.ds.manager.createQueryBuilder(ImageEntity, 'i'), 'i', page);
  }
}
