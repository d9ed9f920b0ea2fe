import { Module } from '@nestjs/common';
import { CatalogDataModule } from '@xenplane/core';
import { CatalogController } from './catalog.controller.js';
import { CatalogService } from './catalog.service.js';

/** Flavors and images: what tenants build VMs from. */
@Module({ imports: [CatalogDataModule], controllers: [CatalogController], providers: [CatalogService] })
export class CatalogModule {}
