import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ConflictError, DomainError, PoolRepository, VolumeTypeRepository } from '@xenplane/core';
import { AnyRole, OperatorOnly } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { PageQueryDto } from '../common/query.dto.js';
import { CreateVolumeTypeDto, VolumeTypeView } from './volume.dto.js';

/** Operators name SRs as volume types (as Cinder's volume types); every key may list them to pick one. */
@ApiTags('volumes')
@ApiBearerAuth()
@Controller('v1/volume-types')
export class VolumeTypesController {
  constructor(
    private readonly types: VolumeTypeRepository,
    private readonly pools: PoolRepository,
  ) {}

  @Post()
  @OperatorOnly()
  @ApiOperation({
    summary: 'Define a volume type',
    description: 'Maps a name tenants choose at volume create to an SR of the default pool. 409 conflict if the name is taken.',
  })
  @ApiCreatedResponse({ type: VolumeTypeView })
  async create(@Body() dto: CreateVolumeTypeDto): Promise<VolumeTypeView> {
    const pool = await this.pools.findDefault();
    if (!pool) throw new DomainError('unavailable', 'no XAPI pool is registered');
    const made = await this.types.insert({ id: randomUUID(), poolId: pool.id, name: dto.name, srUuid: dto.srUuid });
    if (!made) throw new ConflictError(`volume type ${dto.name} already exists`);
    return VolumeTypeView.of(made);
  }

  @Get()
  @AnyRole()
  @ApiOperation({ summary: 'List volume types', description: "Without a type, a volume goes to the pool's default SR." })
  @ApiOkResponse({ type: PageOf(VolumeTypeView) })
  async list(@Query() q: PageQueryDto) {
    return mapPage(await this.types.list(q), VolumeTypeView.of);
  }
}
