import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { QuotaService, TenantAccessService, type Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal } from '../auth/roles.decorator.js';
import { TenantQueryDto } from '../common/query.dto.js';
import { QuotaView } from './quota.dto.js';
import { ApiDoc } from '../common/api-errors.decorator.js';

/** A tenant's own limits and live usage (an operator names the tenant with ?tenantId=). */
@ApiTags('quota')
@ApiBearerAuth()
@AnyRole()
@Controller('v1/quota')
export class QuotaController {
  constructor(
    private readonly quota: QuotaService,
    private readonly access: TenantAccessService,
  ) {}

  @Get()
  @ApiOkResponse({ type: QuotaView })
  @ApiDoc({
    summary: "Get the tenant's quota",
    description: "The tenant's limits (null: unlimited) and what its live VMs, networks and keys use now.",
  })
  async get(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto): Promise<QuotaView> {
    return QuotaView.of(await this.quota.get(await this.access.resolve(p, q.tenantId)));
  }
}
