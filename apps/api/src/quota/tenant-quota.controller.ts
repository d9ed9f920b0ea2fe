import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { QuotaService } from '@xenplane/tenancy';
import { OperatorOnly } from '../auth/roles.decorator.js';
import { RequestMeta } from '../common/request-meta.decorator.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { QuotaLimitsDto, QuotaRecountView, QuotaView } from './quota.dto.js';

/** Operators read and set a tenant's limits, and can force a recount of its usage. */
@ApiTags('quota')
@ApiBearerAuth()
@OperatorOnly()
@Controller('v1/tenants/:id/quota')
export class TenantQuotaController {
  constructor(private readonly quota: QuotaService) {}

  @Get()
  @ApiOkResponse({ type: QuotaView })
  async get(@Param('id', UuidParamPipe) id: string): Promise<QuotaView> {
    return QuotaView.of(await this.quota.get(id));
  }

  @Put()
  @ApiOkResponse({ type: QuotaView })
  async set(@Param('id', UuidParamPipe) id: string, @Body() dto: QuotaLimitsDto): Promise<QuotaView> {
    const { vms, vcpus, memoryMiB, diskGiB, networks, apiKeys, keypairs, volumes, volumeGiB } = dto;
    return QuotaView.of(await this.quota.setLimits(id, { vms, vcpus, memoryMiB, diskGiB, networks, apiKeys, keypairs, volumes, volumeGiB }));
  }

  @Post('recount')
  @HttpCode(200)
  @ApiOkResponse({ type: QuotaRecountView })
  async recount(@Param('id', UuidParamPipe) id: string, @RequestMeta() meta: RequestMeta): Promise<QuotaRecountView> {
    return QuotaRecountView.ofRecount(await this.quota.recount(id, meta.requestId ?? undefined));
  }
}
