import { Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { OperationsDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';
import { ProblemFilter } from './problem.filter.js';
import { UndeclaredQueryInterceptor } from './undeclared-query.interceptor.js';

/** What every route shares: problem+json for every error, undocumented query keys refused, Idempotency-Key on every state change. */
@Module({
  imports: [OperationsDataModule, TenancyModule],
  providers: [
    { provide: APP_FILTER, useClass: ProblemFilter },
    // Before idempotency: a request with a query no route documents never claims a key.
    { provide: APP_INTERCEPTOR, useClass: UndeclaredQueryInterceptor },
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
  ],
})
export class CommonModule {}
