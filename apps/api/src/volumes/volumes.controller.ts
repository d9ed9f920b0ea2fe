import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { VOLUME_STATUSES } from '@xenplane/core';
import { TenantAccessService, type Principal } from '@xenplane/tenancy';
import { withOperationLocation } from '../common/accepted.js';
import { AnyRole, CurrentPrincipal } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { TenantFilteredQuery, listFilter } from '../common/list-query.dto.js';
import { TenantQueryDto } from '../common/query.dto.js';
import { RequestMeta } from '../common/request-meta.decorator.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { OperationView } from '../vms/vm.dto.js';
import { CreateVolumeDto, ResizeVolumeDto, VolumeAcceptedView, VolumeActionDto, VolumeView } from './volume.dto.js';
import { VolumesService, type Accepted } from './volumes.service.js';
import { ApiDoc } from '../common/api-errors.decorator.js';

function accepted(res: Response, r: Accepted): VolumeAcceptedView {
  return withOperationLocation(res, r.operation, { volume: VolumeView.of(r.volume), operation: OperationView.of(r.operation) });
}

class VolumeListQuery extends TenantFilteredQuery(VOLUME_STATUSES, { named: true, hidden: ['deleted'] }) {}

const BUSY = '409 operation_in_progress (naming it) while another operation on the volume runs';

@ApiTags('volumes')
@ApiBearerAuth()
@AnyRole()
@Controller('v1/volumes')
export class VolumesController {
  constructor(
    private readonly volumes: VolumesService,
    private readonly access: TenantAccessService,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiDoc({
    summary: 'Create a volume',
    description:
      'Charges the volumes and volumeGiB quotas at once (409 quota_exceeded); the VDI is made by the operation. With snapshotId, a ' +
      "volume's snapshot (404 if another tenant's; 409 invalid_state unless available, or a VM's) is copied in: sizeGiB at least its size (422 volume_shrink).",
    errors: ['quota_exceeded', 'unavailable', 'invalid_state', 'volume_shrink', 'pool_mismatch'],
  })
  @ApiAcceptedResponse({ type: VolumeAcceptedView })
  async create(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: RequestMeta,
    @Query() q: TenantQueryDto,
    @Body() dto: CreateVolumeDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return accepted(res, await this.volumes.create(await this.access.resolve(p, q.tenantId), dto, meta));
  }

  @Get()
  @ApiDoc({ summary: 'List volumes', description: "The tenant's volumes, newest first, paginated by cursor." })
  @ApiOkResponse({ type: PageOf(VolumeView) })
  async list(@CurrentPrincipal() p: Principal, @Query() q: VolumeListQuery) {
    return mapPage(await this.volumes.list(await this.access.resolve(p, q.tenantId), q, listFilter(q)), VolumeView.of);
  }

  @Get(':id')
  @ApiDoc({ summary: 'Get a volume', description: '404 for a volume of another tenant.' })
  @ApiOkResponse({ type: VolumeView })
  async get(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Param('id', UuidParamPipe) id: string) {
    return VolumeView.of(await this.volumes.get(await this.access.resolve(p, q.tenantId), id));
  }

  @Post(':id/actions')
  @HttpCode(202)
  @ApiDoc({
    summary: 'Attach or detach a volume',
    description:
      `attach {vmId}: to a running or stopped VM of the same tenant (404 otherwise); 409 in_use if already attached. A running guest that cannot hot-plug disks is 409 requires_stop at once when its agent has said so (else the operation fails with requires_stop). ` +
      `detach {force?}: a guest that refuses fails the operation with device_detach_rejected and the volume stays attached; force unplugs without its consent. ${BUSY}.`,
    errors: ['in_use', 'invalid_state', 'operation_in_progress', 'pool_mismatch', 'requires_stop'],
  })
  @ApiAcceptedResponse({ type: VolumeAcceptedView })
  async act(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: RequestMeta,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Body() dto: VolumeActionDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    const tenantId = await this.access.resolve(p, q.tenantId);
    const r =
      dto.action === 'attach'
        ? await this.volumes.attach(tenantId, id, dto.vmId!, meta)
        : await this.volumes.detach(tenantId, id, dto.force === true, meta);
    return accepted(res, r);
  }

  @Patch(':id')
  @HttpCode(202)
  @ApiDoc({
    summary: 'Grow a volume',
    description: `Only larger (422 volume_shrink); only detached or on a stopped VM (409 detach_required). The growth is charged to volumeGiB at once; a failed grow gives it back. ${BUSY}.`,
    errors: ['volume_shrink', 'detach_required', 'invalid_state', 'operation_in_progress', 'quota_exceeded'],
  })
  @ApiAcceptedResponse({ type: VolumeAcceptedView })
  async resize(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: RequestMeta,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Body() dto: ResizeVolumeDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return accepted(res, await this.volumes.resize(await this.access.resolve(p, q.tenantId), id, dto.sizeGiB, meta));
  }

  @Delete(':id')
  @HttpCode(202)
  @ApiDoc({
    summary: 'Delete a volume',
    description: `409 in_use while attached; the quota is given back when the VDI is gone. ${BUSY}.`,
    errors: ['in_use', 'invalid_state', 'operation_in_progress'],
  })
  @ApiAcceptedResponse({ type: VolumeAcceptedView })
  async remove(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: RequestMeta,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    return accepted(res, await this.volumes.remove(await this.access.resolve(p, q.tenantId), id, meta));
  }
}
