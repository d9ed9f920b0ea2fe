import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { QuotaService } from '@xenplane/tenancy';
import { OperatorOnly } from '../auth/roles.decorator.js';
import { RequestMeta } from '../common/request-meta.decorator.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { QuotaLimitsDto, QuotaRecountView, QuotaView } from './quota.dto.js';
import { ApiDoc } from '../common/api-errors.decorator.js';

/** Operators read and set a tenant's limits, and can force a recount of its usage. */
@ApiTags('quota')
@ApiBearerAuth()
@OperatorOnly()
@Controller('v1/tenants/:id/quota')
export class TenantQuotaController {
  constructor(private readonly quota: QuotaService) {}

  @Get()
  @ApiOkResponse({ type: QuotaView })
  @ApiDoc({
    summary: "Get a tenant's quota",
    description: "A tenant's limits and usage (operators).",
  })
  async get(@Param('id', UuidParamPipe) id: string): Promise<QuotaView> {
    return QuotaView.of(await this.quota.get(id));
  }

  @Put()
  @ApiOkResponse({ type: QuotaView })
  @ApiDoc({
    summary: "Set a tenant's quota limits",
    description:
      'Replaces the limits (null: unlimited); apiKeys may be left out to keep its limit. Limits below usage are allowed: only new charges are refused.',
  })
  async set(@Param('id', UuidParamPipe) id: string, @Body() dto: QuotaLimitsDto): Promise<QuotaView> {
    const {
      vms,
      vcpus,
      memoryMiB,
      diskGiB,
      networks,
      apiKeys,
      keypairs,
      volumes,
      volumeGiB,
      snapshots,
      snapshotGiB,
      securityGroups,
      securityGroupRules,
      imageGiB,
      publicIps,
    } = dto;
    const limits = {
      vms,
      vcpus,
      memoryMiB,
      diskGiB,
      networks,
      apiKeys,
      keypairs,
      volumes,
      volumeGiB,
      snapshots,
      snapshotGiB,
      securityGroups,
      securityGroupRules,
      imageGiB,
      publicIps,
    };
    return QuotaView.of(await this.quota.setLimits(id, limits));
  }

  @Post('recount')
  @HttpCode(200)
  @ApiOkResponse({ type: QuotaRecountView })
  @ApiDoc({
    summary: "Recount a tenant's quota usage",
    description: "Recounts usage from the tenant's live resources and corrects the stored usage; answers the drift it found.",
  })
  async recount(@Param('id', UuidParamPipe) id: string, @RequestMeta() meta: RequestMeta): Promise<QuotaRecountView> {
    return QuotaRecountView.ofRecount(await this.quota.recount(id, meta.requestId ?? undefined));
  }
}
