import { Module } from '@nestjs/common';
import { CatalogDataModule, PoolsDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { CatalogAccess } from './catalog-access.service.js';
import { CatalogController } from './catalog.controller.js';
import { CatalogService } from './catalog.service.js';
import { ImagesModule } from '../images/images.module.js';

/** Flavors and images: what tenants build VMs from, who may see them, and whether new VMs may still use them. */
@Module({
  imports: [CatalogDataModule, PoolsDataModule, TenancyModule, ImagesModule],
  controllers: [CatalogController],
  providers: [CatalogService, CatalogAccess],
  exports: [CatalogAccess],
})
export class CatalogModule {}
