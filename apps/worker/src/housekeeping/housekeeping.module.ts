import { Module } from '@nestjs/common';
import { OperationsDataModule } from '@xenplane/core';
import { IdempotencyPurgeService } from './idempotency-purge.service.js';

/** Periodic clean-up of rows that only serve for a while (expired Idempotency-Keys). */
@Module({ imports: [OperationsDataModule], providers: [IdempotencyPurgeService], exports: [IdempotencyPurgeService] })
export class HousekeepingModule {}
