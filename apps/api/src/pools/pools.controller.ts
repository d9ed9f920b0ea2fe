import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { POOL_STATUSES } from '@xenplane/core';
import { OperatorOnly } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { FilteredQuery, listFilter } from '../common/list-query.dto.js';
import { PageQueryDto } from '../common/query.dto.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { PoolTemplatesView, TemplateQueryDto } from './pool-template.dto.js';
import { CreatePoolDto, HostMaintenanceDto, HostQueryDto, HostView, PoolIdentityDto, PoolIdentityView, PoolView, UpdatePoolDto } from './pool.dto.js';
import { PoolsService } from './pools.service.js';
import { ApiDoc } from '../common/api-errors.decorator.js';

class PoolListQuery extends FilteredQuery(PageQueryDto, POOL_STATUSES, { named: true }) {}

@ApiTags('pools')
@ApiBearerAuth()
@OperatorOnly()
@Controller('v1')
export class PoolsController {
  constructor(private readonly pools: PoolsService) {}

  @Post('pools')
  @ApiCreatedResponse({ type: PoolView, description: 'status stays pending until a worker has connected' })
  @ApiDoc({
    summary: 'Register a XAPI pool',
    description:
      "Stores the pool's URL and credentials (the password sealed with POOL_ENCRYPTION_KEY, never returned); status stays pending until a worker has connected. https pools may pin a CA or a certificate fingerprint.",
    errors: ['name_taken'],
  })
  async register(@Body() dto: CreatePoolDto): Promise<PoolView> {
    return PoolView.of(await this.pools.register(dto), 0);
  }

  @Get('pools')
  @ApiOkResponse({ type: PageOf(PoolView) })
  @ApiDoc({
    summary: 'List pools',
    description: 'Every registered pool with its status, identity and host count; filter by status, name and since.',
  })
  async list(@Query() q: PoolListQuery) {
    const { page, hostCounts } = await this.pools.list(q, listFilter(q));
    return mapPage(page, (p) => PoolView.of(p, hostCounts.get(p.id) ?? 0));
  }

  @Get('pools/:id')
  @ApiOkResponse({ type: PoolView })
  @ApiDoc({
    summary: 'Get a pool',
    description: 'One pool: status (pending, connected, error, identity_mismatch), last error, XAPI identity and host count.',
  })
  async get(@Param('id', UuidParamPipe) id: string): Promise<PoolView> {
    const { pool, hostCount } = await this.pools.get(id);
    return PoolView.of(pool, hostCount);
  }

  @Patch('pools/:id')
  @ApiOkResponse({ type: PoolView })
  @ApiDoc({
    summary: "Set a pool's region, zone, weight, overcommit ratios and host failure grace",
    description:
      'What the scheduler reads from the next placement on: POST /v1/vms {zone|region} goes only to pools there; weight scales every host score of the pool; ' +
      'cpuAllocationRatio and memoryAllocationRatio bound what may be promised per physical CPU and byte; ' +
      'hostFailureGraceSeconds is how long a host stays not live before its VMs are restarted elsewhere (restart: true) or stopped. Fields left out keep their value.',
  })
  async update(@Param('id', UuidParamPipe) id: string, @Body() dto: UpdatePoolDto): Promise<PoolView> {
    const { pool, hostCount } = await this.pools.updatePlacement(id, dto);
    return PoolView.of(pool, hostCount);
  }

  @Post('pools/:id/identity')
  @HttpCode(200)
  @ApiOkResponse({ type: PoolIdentityView })
  @ApiDoc({
    summary: "Answer a pool held because it shows another pool's identity",
    description:
      'A pool whose URL answers with another pool uuid than the one first seen (a reset simulator, a re-pointed URL) is held in status identity_mismatch: no VM is judged vanished and no quota released. adopt takes the new uuid as the identity, after which the reconciler releases the VMs the new pool lacks; revert keeps the registered identity and checks again. 409 invalid_state when the pool is not held.',
    errors: ['invalid_state'],
  })
  async identity(@Param('id', UuidParamPipe) id: string, @Body() dto: PoolIdentityDto): Promise<PoolIdentityView> {
    const { pool, hostCount, vmsToReconcile } = await this.pools.resolveIdentity(id, dto.action);
    return { pool: PoolView.of(pool, hostCount), vmsToReconcile };
  }

  @Get('pools/:id/templates')
  @ApiDoc({
    summary: "A pool's templates",
    description: 'What the pool offers to build images from (POST /v1/images names one by uuid or name), as the workers last synced it.',
  })
  @ApiOkResponse({ type: PoolTemplatesView })
  async templates(@Param('id', UuidParamPipe) id: string, @Query() q: TemplateQueryDto): Promise<PoolTemplatesView> {
    const { pool, templates } = await this.pools.templates(id, q.name);
    return PoolTemplatesView.of(pool, templates);
  }

  @Get('hosts')
  @ApiOkResponse({ type: PageOf(HostView) })
  @ApiDoc({
    summary: 'List hosts',
    description: 'The hosts of every pool (or of one, with poolId) as the workers last saw them.',
  })
  async hosts(@Query() q: HostQueryDto) {
    return mapPage(await this.pools.listHosts(q, q.poolId, listFilter(q)), HostView.of);
  }

  @Post('hosts/:id/maintenance')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: HostView })
  @ApiDoc({
    summary: 'Put a host into maintenance, or back',
    description:
      'enabled: the host leaves placement at once (draining); a worker disables it on XAPI and moves its running VMs live (VM.pool_migrate), a batch at a time ' +
      "(EVACUATION_BATCH_SIZE), each as a vm.migrate operation of the VM's tenant to a host the scheduler picks. VMs that cannot move are listed in " +
      'maintenanceBlockers and the host stays draining until they are stopped, moved, or the maintenance cancelled; empty, it is in maintenance. ' +
      'enabled false: the host is enabled again and takes VMs. Repeating either is harmless.',
  })
  async maintenance(@Param('id', UuidParamPipe) id: string, @Body() dto: HostMaintenanceDto): Promise<HostView> {
    return HostView.of(await this.pools.setMaintenance(id, dto.enabled));
  }
}
