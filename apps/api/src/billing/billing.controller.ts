import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal, Roles } from '../auth/roles.decorator.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { InvoiceQueryDto, InvoicesView, PriceListView, PricesQueryDto, PutPricesDto, UsageQueryDto, UsageView, VmUsageView } from './billing.dto.js';
import { BillingService } from './billing.service.js';
import { ApiDoc } from '../common/api-errors.decorator.js';

/** Prices (operators set them, everyone reads them) and metered usage (operators: any tenant; tenants: their own). */
@ApiTags('billing')
@ApiBearerAuth()
@Controller('v1')
export class BillingController {
  constructor(private readonly billing: BillingService) {}

  @Get('prices')
  @AnyRole()
  @ApiOkResponse({ type: PriceListView })
  @ApiDoc({
    summary: 'Get the price list',
    description: 'The price list in force at `at` (default now): a currency and a unit price per SKU.',
    errors: ['not_found'],
  })
  prices(@Query() q: PricesQueryDto): Promise<PriceListView> {
    return this.billing.prices(q.at);
  }

  @Put('prices')
  @Roles('operator')
  @ApiOkResponse({ type: PriceListView, description: 'the new version' })
  @ApiDoc({
    summary: 'Publish a price list',
    description:
      'Adds a price version effective from a time (default now) for every SKU. Hours already rated keep their prices: a version starting before the rated hours is 409 prices_already_rated. Prices are in BILLING_CURRENCY (409 billing_currency_not_configured while it is unset).',
    errors: ['prices_already_rated', 'billing_currency_not_configured'],
  })
  putPrices(@Body() dto: PutPricesDto): Promise<PriceListView> {
    return this.billing.putPrices(dto);
  }

  @Get('usage')
  @AnyRole()
  @ApiOkResponse({ type: UsageView })
  @ApiDoc({
    summary: 'Get usage records',
    description: "Hourly usage records in a window of at most 31 days: the tenant's own, or (operators) any tenant's.",
  })
  usage(@CurrentPrincipal() p: Principal, @Query() q: UsageQueryDto): Promise<UsageView> {
    return this.billing.usage(p, q);
  }

  @Get('vms/:id/usage')
  @AnyRole()
  @ApiOkResponse({ type: VmUsageView })
  @ApiDoc({
    summary: "Get one VM's usage and cost (its disk included)",
    description:
      "Rated hours per sku, then the hours not rated yet as estimates (`estimated: true`). Another tenant's VM is 404, as a missing one; " +
      'operators name the tenant with ?tenantId=.',
  })
  vmUsage(@CurrentPrincipal() p: Principal, @Param('id', UuidParamPipe) id: string, @Query() q: UsageQueryDto): Promise<VmUsageView> {
    return this.billing.vmUsage(p, id, q);
  }

  @Get('billing/invoices')
  @AnyRole()
  @ApiOkResponse({ type: InvoicesView })
  @ApiDoc({
    summary: 'Get an invoice',
    description: "A tenant's charges for a billing period, per SKU and resource.",
    errors: ['period_out_of_range', 'billing_currency_not_configured'],
  })
  invoices(@CurrentPrincipal() p: Principal, @Query() q: InvoiceQueryDto): Promise<InvoicesView> {
    return this.billing.invoices(p, q);
  }
}
