import { Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { OperationsDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';
import { ProblemFilter } from './problem.filter.js';

/** What every route shares: problem+json for every error, and Idempotency-Key on every state change. */
@Module({
  imports: [OperationsDataModule, TenancyModule],
  providers: [{ provide: APP_FILTER, useClass: ProblemFilter }, { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor }],
})
export class CommonModule {}
