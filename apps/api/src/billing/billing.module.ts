import { Module } from '@nestjs/common';
import { BillingRepository, PeriodsRepository } from '@xenplane/accounting';
import { TenancyModule } from '@xenplane/tenancy';
import { BillingExportController } from './billing-export.controller.js';
import { BillingExportService } from './billing-export.service.js';
import { BillingController } from './billing.controller.js';
import { BillingService } from './billing.service.js';

/** Prices, usage, invoices and the streamed FOCUS exports (libs/accounting holds the rules). */
@Module({
  imports: [TenancyModule],
  controllers: [BillingController, BillingExportController],
  providers: [BillingService, BillingExportService, BillingRepository, PeriodsRepository],
})
export class BillingModule {}
