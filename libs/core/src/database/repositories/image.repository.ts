import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ImageEntity } from '../entities/image.entity.js';
import { CatalogRepository } from './catalog.repository.js';

/** Images map a public name to a XAPI template; global, operator-defined, public or shared with named tenants. */
@Injectable()
export class ImageRepository extends CatalogRepository<ImageEntity> {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds, ImageEntity, 'image_id');
  }
}
