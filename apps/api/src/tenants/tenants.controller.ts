import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { TenantsService } from '@xenplane/tenancy';
import { OperatorOnly } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { FilteredQuery, listFilter } from '../common/list-query.dto.js';
import { PageQueryDto } from '../common/query.dto.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { CreateTenantDto, TenantView, UpdateTenantDto } from './tenant.dto.js';
import { ApiDoc } from '../common/api-errors.decorator.js';

class TenantListQuery extends FilteredQuery(PageQueryDto, ['active', 'deleted'], { named: true, hidden: ['deleted'] }) {}

@ApiTags('tenants')
@ApiBearerAuth()
@OperatorOnly()
@Controller('v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @ApiCreatedResponse({ type: TenantView })
  @ApiDoc({
    summary: 'Create a tenant',
    description:
      'Creates a tenant, optionally with initial quota limits (any left out are unlimited). Names are unique, compared case-insensitively.',
    errors: ['name_taken'],
  })
  async create(@Body() dto: CreateTenantDto): Promise<TenantView> {
    return TenantView.of(await this.tenants.create(dto.name, dto.quota));
  }

  @Get()
  @ApiOkResponse({ type: PageOf(TenantView) })
  @ApiDoc({
    summary: 'List tenants',
    description: 'Every live tenant, a page at a time (limit, cursor); deleted ones only with ?status=deleted. Newest first unless ?order=asc.',
  })
  async list(@Query() q: TenantListQuery) {
    return mapPage(await this.tenants.list(q, listFilter(q)), TenantView.of);
  }

  @Get(':id')
  @ApiOkResponse({ type: TenantView })
  @ApiDoc({
    summary: 'Get a tenant',
    description: 'One tenant by id: its name, status and creation time.',
  })
  async get(@Param('id', UuidParamPipe) id: string): Promise<TenantView> {
    return TenantView.of(await this.tenants.get(id));
  }

  @Patch(':id')
  @ApiOkResponse({ type: TenantView })
  @ApiDoc({
    summary: 'Rename, suspend or reinstate a tenant',
    description:
      "Names are unique, compared case-insensitively (409 name_taken). `{suspended: true}`: the tenant's keys still read (GET), but every change answers 403 `tenant_suspended`; its VMs keep " +
      'running (stop them as an operator if they must), and operations already accepted still finish. `{suspended: false}` reinstates it.',
    errors: ['name_taken'],
  })
  async update(@Param('id', UuidParamPipe) id: string, @Body() dto: UpdateTenantDto): Promise<TenantView> {
    return TenantView.of(await this.tenants.update(id, { name: dto.name, suspended: dto.suspended }));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiDoc({
    summary: 'Delete a tenant',
    description:
      'Deletes a tenant and revokes its keys, only when it owns no live VM, network, volume, snapshot or image with a disk: otherwise 409 in_use with usedBy counting them. Its images that never got a disk (queued) go with it.',
    errors: ['in_use'],
  })
  async remove(@Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.tenants.delete(id);
  }
}
