import { Module } from '@nestjs/common';
import { CatalogDataModule, OperationsDataModule, PoolsDataModule, VmsDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { ConsoleModule } from '../console/console.module.js';
import { ImageDownloadService } from './image-download.service.js';
import { ImageFilesController } from './image-files.controller.js';
import { ImageUploadService } from './image-upload.service.js';
import { ImagesService } from './images.service.js';

/** Tenants' own images: created queued, a disk uploaded (spooled, verified, imported by the worker) or copied from a stopped VM, read back. */
@Module({
  imports: [CatalogDataModule, VmsDataModule, PoolsDataModule, OperationsDataModule, TenancyModule, ConsoleModule],
  controllers: [ImageFilesController],
  providers: [ImagesService, ImageUploadService, ImageDownloadService],
  exports: [ImagesService],
})
export class ImagesModule {}
