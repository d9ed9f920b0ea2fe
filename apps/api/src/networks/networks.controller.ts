import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { NETWORK_STATUSES, type OperationEntity } from '@xenplane/core';
import { isOperator, TenantAccessService, type Principal } from '@xenplane/tenancy';
import { withOperationLocation } from '../common/accepted.js';
import { AnyRole, CurrentPrincipal } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { listFilter, TenantFilteredQuery } from '../common/list-query.dto.js';
import { TenantQueryDto } from '../common/query.dto.js';
import { RequestMeta } from '../common/request-meta.decorator.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { OperationView } from '../vms/vm.dto.js';
import { CreateNetworkDto, NetworkAcceptedView, NetworkView, UpdateNetworkDto } from './network.dto.js';
import { NetworkEditService } from './network-edit.service.js';
import { NetworksService, type ShownNetwork } from './networks.service.js';
import { ApiDoc } from '../common/api-errors.decorator.js';

class NetworkListQuery extends TenantFilteredQuery(NETWORK_STATUSES, { named: true, hidden: ['deleted'] }) {}

function accepted(p: Principal, res: Response, r: { network: ShownNetwork; operation: OperationEntity }): NetworkAcceptedView {
  return withOperationLocation(res, r.operation, { network: NetworkView.of(r.network, isOperator(p)), operation: OperationView.of(r.operation) });
}

@ApiTags('networks')
@ApiBearerAuth()
@AnyRole()
@Controller('v1/networks')
export class NetworksController {
  constructor(
    private readonly networks: NetworksService,
    private readonly edits: NetworkEditService,
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
    description:
      "A tenant's own networks, a page at a time; an operator without ?tenantId= gets every tenant's (each item names its tenantId). Newest first unless ?order=asc.",
  })
  async list(@CurrentPrincipal() p: Principal, @Query() q: NetworkListQuery) {
    const tenantId = await this.access.resolveList(p, q.tenantId);
    return mapPage(await this.networks.list(tenantId, q, listFilter(q)), (n) => NetworkView.of(n, isOperator(p)));
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

  @Patch(':id')
  @ApiDoc({
    summary: 'Rename or describe a network',
    description: 'name, description and tags change at once (200, no operation); a deleted network is 409 invalid_state.',
    errors: ['invalid_state'],
  })
  @ApiOkResponse({ type: NetworkView })
  async update(
    @CurrentPrincipal() p: Principal,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Body() dto: UpdateNetworkDto,
  ): Promise<NetworkView> {
    return NetworkView.of(await this.edits.update(await this.access.resolve(p, q.tenantId), id, dto), isOperator(p));
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
