import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PROVIDER_NETWORK_STATUSES } from '@xenplane/core';
import { isOperator, TenantAccessService, type Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal, OperatorOnly } from '../auth/roles.decorator.js';
import { ApiDoc } from '../common/api-errors.decorator.js';
import { listFilter, TenantFilteredQuery } from '../common/list-query.dto.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { TenantQueryDto } from '../common/query.dto.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { CreateProviderNetworkDto, ProviderNetworkView, UpdateProviderNetworkDto } from './provider-network.dto.js';
import { ProviderNetworksService } from './provider-networks.service.js';

class ProviderNetworkListQuery extends TenantFilteredQuery(PROVIDER_NETWORK_STATUSES, { named: true, hidden: ['deleted'] }) {}

/** Operators define provider networks; tenants list and read those visible to them, to attach NICs (networkIds). */
@ApiTags('provider-networks')
@ApiBearerAuth()
@Controller('v1/provider-networks')
export class ProviderNetworksController {
  constructor(
    private readonly networks: ProviderNetworksService,
    private readonly access: TenantAccessService,
  ) {}

  @Post()
  @HttpCode(202)
  @OperatorOnly()
  @ApiAcceptedResponse({ type: ProviderNetworkView, description: 'pending until the worker has found (or made) its XAPI network' })
  @ApiDoc({
    summary: 'Define a provider network',
    description:
      "An operator L2 network reaching outside: an existing XAPI network (xapiNetwork), or a VLAN the worker makes on a PIF with pool.create_VLAN_from_PIF (pif + vlan). Tenants' NICs get addresses from allocationPools (disjoint, inside the CIDR, without the gateway); visibility 'all' or 'tenants' (tenantIds). Active once the worker resolved the hosts' bridge; error (errorReason) if XAPI refused.",
    errors: ['name_taken', 'unavailable'],
  })
  async create(@Body() dto: CreateProviderNetworkDto): Promise<ProviderNetworkView> {
    return ProviderNetworkView.of(await this.networks.create(dto), true);
  }

  @Get()
  @AnyRole()
  @ApiOkResponse({ type: PageOf(ProviderNetworkView) })
  @ApiDoc({
    summary: 'List provider networks',
    description:
      'Operators see every provider network (or, with ?tenantId=, those that tenant sees); a tenant sees those shared with all tenants or naming it. Newest first unless ?order=asc.',
  })
  async list(@CurrentPrincipal() p: Principal, @Query() q: ProviderNetworkListQuery) {
    const tenantId = await this.access.resolveList(p, q.tenantId);
    return mapPage(await this.networks.list(tenantId, q, listFilter(q)), (n) => ProviderNetworkView.of(n, isOperator(p)));
  }

  @Get(':id')
  @AnyRole()
  @ApiOkResponse({ type: ProviderNetworkView })
  @ApiDoc({
    summary: 'Get a provider network',
    description:
      'Its addressing and status; a provider network not visible to the tenant is 404. Operators also see its XAPI side and who may attach.',
  })
  async get(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Param('id', UuidParamPipe) id: string): Promise<ProviderNetworkView> {
    const tenantId = await this.access.resolveList(p, q.tenantId);
    return ProviderNetworkView.of(await this.networks.get(tenantId, id), isOperator(p));
  }

  @Patch(':id')
  @OperatorOnly()
  @ApiOkResponse({ type: ProviderNetworkView })
  @ApiDoc({
    summary: 'Change a provider network',
    description:
      'name, dnsServers, allocationPools (every held address must stay inside them) and visibility/tenantIds change at once (200). A tenant no longer named keeps the addresses it holds but may attach no new NIC.',
    errors: ['name_taken', 'invalid_state'],
  })
  async update(@Param('id', UuidParamPipe) id: string, @Body() dto: UpdateProviderNetworkDto): Promise<ProviderNetworkView> {
    return ProviderNetworkView.of(await this.networks.update(id, dto), true);
  }

  @Delete(':id')
  @HttpCode(202)
  @OperatorOnly()
  @ApiAcceptedResponse({ type: ProviderNetworkView, description: 'deleting: the worker removes the VLAN network it made, if any' })
  @ApiDoc({
    summary: 'Delete a provider network',
    description: 'Accepted (202) once no address is held on it: otherwise 409 in_use with the VMs holding them (usedBy.vms) and their count.',
    errors: ['in_use', 'invalid_state'],
  })
  async remove(@Param('id', UuidParamPipe) id: string): Promise<ProviderNetworkView> {
    return ProviderNetworkView.of(await this.networks.remove(id), true);
  }
}
