import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal, Roles } from '../auth/roles.decorator.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { InvoiceQueryDto, InvoicesView, PriceListView, PricesQueryDto, PutPricesDto, UsageQueryDto, UsageView, VmUsageView } from './billing.dto.js';
import { BillingService } from './billing.service.js';

/** Prices (operators set them, everyone reads them) and metered usage (operators: any tenant; tenants: their own). */
@ApiTags('billing')
@ApiBearerAuth()
@Controller('v1')
export class BillingController {
  constructor(private readonly billing: BillingService) {}

  @Get('prices')
  @AnyRole()
  @ApiOkResponse({ type: PriceListView })
  prices(@Query() q: PricesQueryDto): Promise<PriceListView> {
    return this.billing.prices(q.at);
  }

  @Put('prices')
  @Roles('operator')
  @ApiOkResponse({ type: PriceListView, description: 'the new version' })
  putPrices(@Body() dto: PutPricesDto): Promise<PriceListView> {
    return this.billing.putPrices(dto);
  }

  @Get('usage')
  @AnyRole()
  @ApiOkResponse({ type: UsageView })
  usage(@CurrentPrincipal() p: Principal, @Query() q: UsageQueryDto): Promise<UsageView> {
    return this.billing.usage(p, q);
  }

  @Get('vms/:id/usage')
  @AnyRole()
  @ApiOperation({
    summary: "one VM's usage and cost (its disk included)",
    description:
      "Rated hours per sku, then the hours not rated yet as estimates (`estimated: true`). Another tenant's VM is 404, as a missing one; " +
      'operators name the tenant with ?tenantId=.',
  })
  @ApiOkResponse({ type: VmUsageView })
  vmUsage(@CurrentPrincipal() p: Principal, @Param('id', UuidParamPipe) id: string, @Query() q: UsageQueryDto): Promise<VmUsageView> {
    return this.billing.vmUsage(p, id, q);
  }

  @Get('billing/invoices')
  @AnyRole()
  @ApiOkResponse({ type: InvoicesView })
  invoices(@CurrentPrincipal() p: Principal, @Query() q: InvoiceQueryDto): Promise<InvoicesView> {
    return this.billing.invoices(p, q);
  }
}
