import { Module } from '@nestjs/common';
import { BillingRepository, PeriodsRepository, UsageEstimates } from '@xenplane/accounting';
import { VmsDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { BillingExportController } from './billing-export.controller.js';
import { BillingExportService } from './billing-export.service.js';
import { BillingController } from './billing.controller.js';
import { BillingCurrencyService } from './billing-currency.service.js';
import { BillingService } from './billing.service.js';

/** Prices, usage, invoices and the streamed FOCUS exports (libs/accounting holds the rules). */
@Module({
  imports: [TenancyModule, VmsDataModule],
  controllers: [BillingController, BillingExportController],
  providers: [BillingService, BillingExportService, BillingCurrencyService, BillingRepository, PeriodsRepository, UsageEstimates],
})
export class BillingModule {}
