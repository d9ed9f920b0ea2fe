import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { VM_STATUSES, type OperationEntity } from '@xenplane/core';
import { TenantAccessService, type Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { listFilter, TenantFilteredQuery } from '../common/list-query.dto.js';
import { TenantQueryDto } from '../common/query.dto.js';
import { RequestMeta } from '../common/request-meta.decorator.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { answerWith } from '../common/answer-status.js';
import { CreateVmDto, OperationView, UpdateVmDto, VmAcceptedView, VmActionDto, VmView } from './vm.dto.js';
import { VmEditService } from './vm-edit.service.js';
import { VmsService, type VmWithNics } from './vms.service.js';

class VmListQuery extends TenantFilteredQuery(VM_STATUSES, { named: true, hidden: ['deleted'] }) {}

function accepted(res: Response, r: { vm: VmWithNics; operation: OperationEntity }): VmAcceptedView {
  res.setHeader('Location', `/v1/operations/${r.operation.id}`);
  return { vm: VmView.of(r.vm), operation: OperationView.of(r.operation) };
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
  ) {}

  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: VmAcceptedView })
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
  @ApiOperation({
    summary: 'List VMs',
    description:
      "A tenant's own VMs; an operator without ?tenantId= gets every tenant's (each item names its tenantId). Newest first unless ?order=asc.",
  })
  @ApiOkResponse({ type: PageOf(VmView) })
  async list(@CurrentPrincipal() p: Principal, @Query() q: VmListQuery) {
    return mapPage(await this.vms.list(await this.access.resolveList(p, q.tenantId), q, listFilter(q)), VmView.of);
  }

  @Get(':id')
  @ApiOkResponse({ type: VmView })
  async get(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Param('id', UuidParamPipe) id: string) {
    return VmView.of(await this.vms.get(await this.access.resolve(p, q.tenantId), id));
  }

  @Post(':id/actions')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: VmAcceptedView })
  async act(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: RequestMeta,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Body() dto: VmActionDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return accepted(res, await this.vms.act(await this.access.resolve(p, q.tenantId), id, dto.action, meta));
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Resize, rename or describe a VM',
    description: 'With flavorId: a resize, 202 with its operation (name, description and tags given beside it change too). Without: 200, at once.',
  })
  @ApiOkResponse({ type: VmView, description: 'name, description or tags changed; no operation' })
  @ApiAcceptedResponse({ type: VmAcceptedView, description: 'a resize: quota is charged for the growth at once; a failed resize gives it back' })
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
