import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { SNAPSHOT_STATUSES, type RequestMeta as Meta } from '@xenplane/core';
import { TenantAccessService, type Principal } from '@xenplane/tenancy';
import { withOperationLocation } from '../common/accepted.js';
import { ApiDoc } from '../common/api-errors.decorator.js';
import { AnyRole, CurrentPrincipal } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { TenantFilteredQuery, listFilter } from '../common/list-query.dto.js';
import { TenantQueryDto } from '../common/query.dto.js';
import { RequestMeta } from '../common/request-meta.decorator.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { OperationView, VmView } from '../vms/vm.dto.js';
import { CreateSnapshotDto, RevertAcceptedView, SnapshotAcceptedView, SnapshotView } from './snapshot.dto.js';
import { MAX_SNAPSHOTS_PER_SUBJECT, SnapshotsService, type Accepted } from './snapshots.service.js';

class SnapshotListQuery extends TenantFilteredQuery(SNAPSHOT_STATUSES, { named: true, hidden: ['deleted'] }) {}

function accepted(res: Response, r: Accepted): SnapshotAcceptedView {
  return withOperationLocation(res, r.operation, { snapshot: SnapshotView.of(r.snapshot), operation: OperationView.of(r.operation) });
}

const TAKE =
  `Charges the snapshots and snapshotGiB quotas at once (409 quota_exceeded); at most ${MAX_SNAPSHOTS_PER_SUBJECT} per VM or volume (409 snapshot_limit); ` +
  'a name taken among its snapshots is 409 name_taken. The operation runs on the VM or volume itself: 409 operation_in_progress while another does.';

@ApiTags('snapshots')
@ApiBearerAuth()
@AnyRole()
@Controller('v1')
export class SnapshotsController {
  constructor(
    private readonly snapshots: SnapshotsService,
    private readonly access: TenantAccessService,
  ) {}

  @Post('vms/:id/snapshots')
  @HttpCode(202)
  @ApiDoc({
    summary: 'Snapshot a VM',
    description: `Its boot disk and sizes (VM.snapshot; attached volumes and the config drive are left out), running or stopped. ${TAKE}`,
    errors: ['invalid_state', 'operation_in_progress', 'quota_exceeded', 'snapshot_limit', 'name_taken'],
  })
  @ApiAcceptedResponse({ type: SnapshotAcceptedView })
  async snapshotVm(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: Meta,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Body() dto: CreateSnapshotDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return accepted(res, await this.snapshots.snapshotVm(await this.access.resolve(p, q.tenantId), id, dto.name, meta));
  }

  @Get('vms/:id/snapshots')
  @ApiDoc({ summary: "List a VM's snapshots", description: 'Newest first, paginated by cursor; 404 for a VM of another tenant.' })
  @ApiOkResponse({ type: PageOf(SnapshotView) })
  async listOfVm(@CurrentPrincipal() p: Principal, @Query() q: SnapshotListQuery, @Param('id', UuidParamPipe) id: string) {
    return mapPage(await this.snapshots.list(await this.access.resolve(p, q.tenantId), q, listFilter(q), { vmId: id }), SnapshotView.of);
  }

  @Post('volumes/:id/snapshots')
  @HttpCode(202)
  @ApiDoc({
    summary: 'Snapshot a volume',
    description: `VDI.snapshot, attached or not. ${TAKE}`,
    errors: ['invalid_state', 'operation_in_progress', 'quota_exceeded', 'snapshot_limit', 'name_taken'],
  })
  @ApiAcceptedResponse({ type: SnapshotAcceptedView })
  async snapshotVolume(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: Meta,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Body() dto: CreateSnapshotDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return accepted(res, await this.snapshots.snapshotVolume(await this.access.resolve(p, q.tenantId), id, dto.name, meta));
  }

  @Get('volumes/:id/snapshots')
  @ApiDoc({ summary: "List a volume's snapshots", description: 'Newest first, paginated by cursor; 404 for a volume of another tenant.' })
  @ApiOkResponse({ type: PageOf(SnapshotView) })
  async listOfVolume(@CurrentPrincipal() p: Principal, @Query() q: SnapshotListQuery, @Param('id', UuidParamPipe) id: string) {
    return mapPage(await this.snapshots.list(await this.access.resolve(p, q.tenantId), q, listFilter(q), { volumeId: id }), SnapshotView.of);
  }

  @Get('snapshots')
  @ApiDoc({ summary: 'List snapshots', description: "The tenant's snapshots of VMs and volumes, newest first, paginated by cursor." })
  @ApiOkResponse({ type: PageOf(SnapshotView) })
  async list(@CurrentPrincipal() p: Principal, @Query() q: SnapshotListQuery) {
    return mapPage(await this.snapshots.list(await this.access.resolve(p, q.tenantId), q, listFilter(q)), SnapshotView.of);
  }

  @Get('snapshots/:id')
  @ApiDoc({ summary: 'Get a snapshot', description: '404 for a snapshot of another tenant.' })
  @ApiOkResponse({ type: SnapshotView })
  async get(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Param('id', UuidParamPipe) id: string) {
    return SnapshotView.of(await this.snapshots.get(await this.access.resolve(p, q.tenantId), id));
  }

  @Post('snapshots/:id/revert')
  @HttpCode(202)
  @ApiDoc({
    summary: 'Revert a VM to a snapshot',
    description:
      "The VM stops, takes the snapshot's disk and settings back (VM.revert), and starts again if it was running. Its sizes become the snapshot's at once, " +
      'charged or given back as a resize is (409 quota_exceeded), billed at them once the revert succeeds; its NICs keep their MACs and addresses; ' +
      'attached volumes stay attached, with the data they have now. 409 operation_in_progress while another operation runs on the VM; ' +
      '409 invalid_state for a snapshot that is not available or of a volume.',
    errors: ['invalid_state', 'operation_in_progress', 'quota_exceeded'],
  })
  @ApiAcceptedResponse({ type: RevertAcceptedView })
  async revert(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: Meta,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RevertAcceptedView> {
    const r = await this.snapshots.revert(await this.access.resolve(p, q.tenantId), id, meta);
    return { ...accepted(res, r), vm: VmView.of(r.vm) };
  }

  @Delete('snapshots/:id')
  @HttpCode(202)
  @ApiDoc({
    summary: 'Delete a snapshot',
    description:
      'Its snapshot VM (or VDI) and disks go; the quota comes back once the pool no longer has them. 409 in_use while a revert to it runs; ' +
      '409 operation_in_progress while it is being made or deleted.',
    errors: ['in_use', 'operation_in_progress'],
  })
  @ApiAcceptedResponse({ type: SnapshotAcceptedView })
  async remove(
    @CurrentPrincipal() p: Principal,
    @RequestMeta() meta: Meta,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    return accepted(res, await this.snapshots.remove(await this.access.resolve(p, q.tenantId), id, meta));
  }
}
