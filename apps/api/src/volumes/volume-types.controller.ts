import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AnyRole, OperatorOnly } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { PageQueryDto } from '../common/query.dto.js';
import { FilteredQuery, listFilter } from '../common/list-query.dto.js';
import { VolumeTypesService } from './volume-types.service.js';
import { CreateVolumeTypeDto, VolumeTypeView } from './volume.dto.js';
import { ApiDoc } from '../common/api-errors.decorator.js';

class VolumeTypeListQuery extends FilteredQuery(PageQueryDto, null, { named: true }) {}

/** Operators name SRs as volume types (as Cinder's volume types); every key may list them to pick one. */
@ApiTags('volumes')
@ApiBearerAuth()
@Controller('v1/volume-types')
export class VolumeTypesController {
  constructor(private readonly types: VolumeTypesService) {}

  @Post()
  @OperatorOnly()
  @ApiDoc({
    summary: 'Define a volume type',
    description: 'Maps a name tenants choose at volume create to an SR of the default pool. 409 name_taken if the name is taken.',
    errors: ['name_taken', 'unavailable'],
  })
  @ApiCreatedResponse({ type: VolumeTypeView })
  async create(@Body() dto: CreateVolumeTypeDto): Promise<VolumeTypeView> {
    return VolumeTypeView.of(await this.types.create(dto.name, dto.srUuid));
  }

  @Get()
  @AnyRole()
  @ApiDoc({
    summary: 'List volume types',
    description: "Without a type, a volume goes to the pool's default SR. Newest first unless ?order=asc; ?name= and ?since= filter.",
  })
  @ApiOkResponse({ type: PageOf(VolumeTypeView) })
  async list(@Query() q: VolumeTypeListQuery) {
    return mapPage(await this.types.list(q, listFilter(q)), VolumeTypeView.of);
  }
}
