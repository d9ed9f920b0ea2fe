import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DomainError, VM_STATUSES, type OperationEntity } from '@xenplane/core';
import { TenantAccessService, type Principal } from '@xenplane/tenancy';
import { withOperationLocation } from '../common/accepted.js';
import { AnyRole, CurrentPrincipal } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { listFilter, TenantFilteredQuery } from '../common/list-query.dto.js';
import { TenantQueryDto } from '../common/query.dto.js';
import { RequestMeta } from '../common/request-meta.decorator.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { answerWith } from '../common/answer-status.js';
import { CreateVmDto, OperationView, UpdateVmDto, VmAcceptedView, VmActionDto, VmView } from './vm.dto.js';
import { VmEditService } from './vm-edit.service.js';
import { VmMigrationService } from './vm-migration.service.js';
import { VmsService, type VmWithNics } from './vms.service.js';
import { ApiDoc } from '../common/api-errors.decorator.js';

class VmListQuery extends TenantFilteredQuery(VM_STATUSES, { named: true, hidden: ['deleted'] }) {}

function accepted(res: Response, r: { vm: VmWithNics; operation: OperationEntity }): VmAcceptedView {
  return withOperationLocation(res, r.operation, { vm: VmView.of(r.vm), operation: OperationView.of(r.operation) });
}

@ApiTags('vms')
@ApiBearerAuth()
@AnyRole()
@Controller('v1/vms')
export class VmsController {
  constructor(
    private readonly vms: VmsService,
    private readonly edits: VmEditService,
    private readonly access: TenantAccessService,
    private readonly migrations: VmMigrationService,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: VmAcceptedView })
  @ApiDoc({
    summary: 'Create a VM',
    description:
      "Accepts a VM (202) from a flavor and an image, optionally on the tenant's networks (one NIC each, with a MAC and an address), and returns it pending with the operation to poll (Location). Quota is charged at once; the worker clones, configures and starts it on the pool.",
    errors: [
      'quota_exceeded',
      'disk_below_template',
      'flavor_deprecated',
      'image_deprecated',
      'network_full',
      'no_address',
      'address_contention',
      'no_capacity',
      'pool_mismatch',
    ],
  })
  async create(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: RequestMeta,
    @Query() q: TenantQueryDto,
    @Body() dto: CreateVmDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return accepted(res, await this.vms.create(await this.access.resolve(p, q.tenantId), dto, meta));
  }

  @Get()
  @ApiOkResponse({ type: PageOf(VmView) })
  @ApiDoc({
    summary: 'List VMs',
    description:
      "A tenant's own VMs (deleted ones only with ?status=deleted), a page at a time; an operator without ?tenantId= gets every tenant's (each item names its tenantId). Newest first unless ?order=asc.",
  })
  async list(@CurrentPrincipal() p: Principal, @Query() q: VmListQuery) {
    return mapPage(await this.vms.list(await this.access.resolveList(p, q.tenantId), q, listFilter(q)), VmView.of);
  }

  @Get(':id')
  @ApiOkResponse({ type: VmView })
  @ApiDoc({
    summary: 'Get a VM',
    description: 'One VM: its sizes, live maximums, NICs, status as last seen on the pool and the host it runs on.',
  })
  async get(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Param('id', UuidParamPipe) id: string) {
    return VmView.of(await this.vms.get(await this.access.resolve(p, q.tenantId), id));
  }

  @Post(':id/actions')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: VmAcceptedView })
  @ApiDoc({
    summary: 'Start, stop, reboot or (operators) migrate a VM',
    description:
      "Accepts the action (202) with the operation to poll. An action the VM's state does not allow is 409 invalid_state; one while another operation runs is 409 operation_in_progress. " +
      'migrate (operator keys, with ?tenantId=) moves a running VM live to hostId or to a host the scheduler picks; the operation is visible to the tenant.',
    errors: ['invalid_state', 'operation_in_progress'],
  })
  async act(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: RequestMeta,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Body() dto: VmActionDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    const tenantId = await this.access.resolve(p, q.tenantId);
    if (dto.action !== 'migrate') return accepted(res, await this.vms.act(tenantId, id, dto.action, meta));
    if (p.role !== 'operator') throw new DomainError('forbidden', 'only operator keys migrate VMs');
    return accepted(res, await this.migrations.migrate(tenantId, id, dto.hostId, meta));
  }

  @Patch(':id')
  @ApiOkResponse({ type: VmView, description: 'name, description or tags changed; no operation' })
  @ApiAcceptedResponse({ type: VmAcceptedView, description: 'a resize: quota is charged for the growth at once; a failed resize gives it back' })
  @ApiDoc({
    summary: 'Resize, rename or describe a VM',
    description:
      'With flavorId: a resize, 202 with its operation (name, description and tags given beside it change too); without: 200, at once. ' +
      'A resize charges quota for the growth only. A running VM is resized live within its liveMax; more, or a larger disk, is 409 requires_stop at once (stop it first). ' +
      'A larger disk grows the boot disk; a smaller one is 422 disk_cannot_shrink; a deprecated flavor is 422 flavor_deprecated.',
    errors: ['invalid_state', 'operation_in_progress', 'requires_stop', 'disk_cannot_shrink', 'flavor_deprecated', 'quota_exceeded'],
  })
  async update(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: RequestMeta,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Body() dto: UpdateVmDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<VmView | VmAcceptedView> {
    const { vm, operation } = await this.edits.update(await this.access.resolve(p, q.tenantId), id, dto, meta);
    answerWith(res, operation ? 202 : 200);
    return operation ? accepted(res, { vm, operation }) : VmView.of(vm);
  }

  @Delete(':id')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: VmAcceptedView })
  @ApiDoc({
    summary: 'Delete a VM',
    description:
      'Accepts the deletion (202): the worker shuts the VM down and destroys it and its disks; quota and addresses are released when it is gone.',
    errors: ['invalid_state', 'operation_in_progress'],
  })
  async remove(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: RequestMeta,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    return accepted(res, await this.vms.act(await this.access.resolve(p, q.tenantId), id, 'delete', meta));
  }
}
