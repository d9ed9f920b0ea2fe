import { Module } from '@nestjs/common';
import { CatalogDataModule, OperationsDataModule, VmsDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { CaptureImageHandler } from './capture-image.handler.js';
import { DeleteImageHandler } from './delete-image.handler.js';
import { UploadImageHandler } from './upload-image.handler.js';

/** Tenants' own images: an upload imported, a stopped VM's disk copied, a golden disk destroyed. */
@Module({
  imports: [CatalogDataModule, VmsDataModule, OperationsDataModule, TenancyModule],
  providers: [UploadImageHandler, CaptureImageHandler, DeleteImageHandler],
})
export class ImagesModule {}
