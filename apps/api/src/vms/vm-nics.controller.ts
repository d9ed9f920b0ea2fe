import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { TenantAccessService, type Principal } from '@xenplane/tenancy';
import { withOperationLocation } from '../common/accepted.js';
import { ApiDoc } from '../common/api-errors.decorator.js';
import { AnyRole, CurrentPrincipal } from '../auth/roles.decorator.js';
import { TenantQueryDto } from '../common/query.dto.js';
import { RequestMeta } from '../common/request-meta.decorator.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { AddNicDto, NicAcceptedView, NicListView, SetNicSecurityGroupsDto } from './vm-nic.dto.js';
import { VmNicsService, type NicAccepted } from './vm-nics.service.js';
import { NicView, OperationView, nicView } from './vm.dto.js';

function accepted(res: Response, r: NicAccepted): NicAcceptedView {
  return withOperationLocation(res, r.operation, { nic: nicView(r.nic), operation: OperationView.of(r.operation) });
}

/** A VM's NICs: listed, added and removed after create (each change is the VM's one operation at a time). */
@ApiTags('vms')
@ApiBearerAuth()
@AnyRole()
@Controller('v1/vms/:id/nics')
export class VmNicsController {
  constructor(
    private readonly nics: VmNicsService,
    private readonly access: TenantAccessService,
  ) {}

  @Get()
  @ApiOkResponse({ type: NicListView })
  @ApiDoc({
    summary: "List a VM's NICs",
    description: 'Every NIC of the VM by device, with its id, status, network, MAC, allocated address and the addresses the guest reports.',
  })
  async list(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Param('id', UuidParamPipe) id: string): Promise<NicListView> {
    const nics = await this.nics.list(await this.access.resolve(p, q.tenantId), id);
    return { items: nics.map(nicView), nextCursor: null };
  }

  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: NicAcceptedView })
  @ApiDoc({
    summary: 'Add a NIC to a VM',
    description:
      'Accepts a NIC on one of the tenant networks, or on a provider network visible to the tenant (202): its MAC, device and lowest free ' +
      "address (on a provider network, from the operator's allocation pools, charged to the publicIps quota) are taken at once (status attaching), the worker " +
      'creates the VIF and, on a running VM, hot-plugs it (a guest without PV drivers answers requires_stop: stop it first). The config drive is ' +
      'rebuilt with the new network-config (same instance-id); a running guest reads it at its next boot. A failed add gives the address (and its ' +
      'publicIps) back.',
    errors: [
      'invalid_state',
      'operation_in_progress',
      'already_attached',
      'nic_limit_reached',
      'network_full',
      'no_address',
      'quota_exceeded',
      'address_contention',
      'pool_mismatch',
    ],
  })
  async add(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: RequestMeta,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Body() dto: AddNicDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<NicAcceptedView> {
    return accepted(res, await this.nics.add(await this.access.resolve(p, q.tenantId), id, dto.networkId, meta, dto.securityGroupIds));
  }

  @Put(':nicId')
  @ApiOkResponse({ type: NicView })
  @ApiDoc({
    summary: "Set a NIC's security groups",
    description:
      "Replaces the NIC's groups (200, no operation: nothing changes on the pool). The hosts' flows follow within one reconcile: connections a " +
      "removed group allowed are cut, new members of a remote group get through. Another tenant's group is 404.",
  })
  async setSecurityGroups(
    @CurrentPrincipal() p: Principal,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Param('nicId', UuidParamPipe) nicId: string,
    @Body() dto: SetNicSecurityGroupsDto,
  ): Promise<NicView> {
    return nicView(await this.nics.setSecurityGroups(await this.access.resolve(p, q.tenantId), id, nicId, dto.securityGroupIds));
  }

  @Delete(':nicId')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: NicAcceptedView })
  @ApiDoc({
    summary: 'Remove a NIC from a VM',
    description:
      'Accepts the removal (202, status detaching): the worker unplugs (on a running VM with PV drivers) and destroys the VIF, rebuilds the config ' +
      'drive without it, and only then gives the address and MAC back to the network (a public address: its publicIps quota too, and its ' +
      'public-ip-hour metering ends). A running guest without PV drivers fails it with requires_stop.',
    errors: ['invalid_state', 'operation_in_progress'],
  })
  async remove(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: RequestMeta,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Param('nicId', UuidParamPipe) nicId: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<NicAcceptedView> {
    return accepted(res, await this.nics.remove(await this.access.resolve(p, q.tenantId), id, nicId, meta));
  }
}
