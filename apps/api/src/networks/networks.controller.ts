import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { OperationEntity } from '@xenplane/core';
import { isOperator, TenantAccessService, type Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { TenantPageQueryDto, TenantQueryDto } from '../common/query.dto.js';
import { RequestMeta } from '../common/request-meta.decorator.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { OperationView } from '../vms/vm.dto.js';
import { CreateNetworkDto, NetworkAcceptedView, NetworkView } from './network.dto.js';
import { NetworksService, type ShownNetwork } from './networks.service.js';
import { ApiDoc } from '../common/api-errors.decorator.js';

function accepted(p: Principal, res: Response, r: { network: ShownNetwork; operation: OperationEntity }): NetworkAcceptedView {
  res.setHeader('Location', `/v1/operations/${r.operation.id}`);
  return { network: NetworkView.of(r.network, isOperator(p)), operation: OperationView.of(r.operation) };
}

@ApiTags('networks')
@ApiBearerAuth()
@AnyRole()
@Controller('v1/networks')
export class NetworksController {
  constructor(
    private readonly networks: NetworksService,
    private readonly access: TenantAccessService,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: NetworkAcceptedView, description: 'charges the networks quota at once' })
  @ApiDoc({
    summary: 'Create a private network',
    description:
      "Accepts a network (202) with a CIDR of the tenant's choosing (tenants may overlap); it is active once the worker made it on the pool. Counts against the networks quota.",
    errors: ['quota_exceeded'],
  })
  async create(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: RequestMeta,
    @Query() q: TenantQueryDto,
    @Body() dto: CreateNetworkDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return accepted(p, res, await this.networks.create(await this.access.resolve(p, q.tenantId), dto, meta));
  }

  @Get()
  @ApiOkResponse({ type: PageOf(NetworkView) })
  @ApiDoc({
    summary: 'List networks',
    description: "The tenant's networks, a page at a time.",
  })
  async list(@CurrentPrincipal() p: Principal, @Query() q: TenantPageQueryDto) {
    return mapPage(await this.networks.list(await this.access.resolve(p, q.tenantId), q), (n) => NetworkView.of(n, isOperator(p)));
  }

  @Get(':id')
  @ApiOkResponse({ type: NetworkView })
  @ApiDoc({
    summary: 'Get a network',
    description: 'One network: CIDR, gateway, status and its XAPI network.',
  })
  async get(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Param('id', UuidParamPipe) id: string) {
    return NetworkView.of(await this.networks.get(await this.access.resolve(p, q.tenantId), id), isOperator(p));
  }

  @Delete(':id')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: NetworkAcceptedView, description: '409 in_use (usedBy.vms) while VMs are attached' })
  @ApiDoc({
    summary: 'Delete a network',
    description: "Accepts the deletion (202) when no live VM is attached: otherwise 409 in_use with the attached VMs' ids.",
    errors: ['invalid_state', 'in_use', 'operation_in_progress'],
  })
  async remove(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: RequestMeta,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    return accepted(p, res, await this.networks.remove(await this.access.resolve(p, q.tenantId), id, meta));
  }
}
