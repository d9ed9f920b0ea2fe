import { Module } from '@nestjs/common';
import { CatalogDataModule, EventsDataModule, OperationsDataModule } from '@xenplane/core';
import { EventPurgeService } from './event-purge.service.js';
import { IdempotencyPurgeService } from './idempotency-purge.service.js';
import { ImageSpoolSweepService } from './image-spool-sweep.service.js';

/** Periodic clean-up of what only serves for a while (expired Idempotency-Keys, events past their retention, image uploads no operation will read). */
@Module({
  imports: [OperationsDataModule, CatalogDataModule, EventsDataModule],
  providers: [IdempotencyPurgeService, ImageSpoolSweepService, EventPurgeService],
  exports: [IdempotencyPurgeService, ImageSpoolSweepService, EventPurgeService],
})
export class HousekeepingModule {}
