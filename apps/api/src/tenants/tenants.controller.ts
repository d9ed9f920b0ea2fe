import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TenantsService } from '@xenplane/tenancy';
import { OperatorOnly } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { FilteredQuery, listFilter } from '../common/list-query.dto.js';
import { PageQueryDto } from '../common/query.dto.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { CreateTenantDto, TenantView, UpdateTenantDto } from './tenant.dto.js';

class TenantListQuery extends FilteredQuery(PageQueryDto, ['active', 'deleted'], { named: true, hidden: ['deleted'] }) {}

@ApiTags('tenants')
@ApiBearerAuth()
@OperatorOnly()
@Controller('v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @ApiCreatedResponse({ type: TenantView })
  async create(@Body() dto: CreateTenantDto): Promise<TenantView> {
    return TenantView.of(await this.tenants.create(dto.name, dto.quota));
  }

  @Get()
  @ApiOkResponse({ type: PageOf(TenantView) })
  async list(@Query() q: TenantListQuery) {
    return mapPage(await this.tenants.list(q, listFilter(q)), TenantView.of);
  }

  @Get(':id')
  @ApiOkResponse({ type: TenantView })
  async get(@Param('id', UuidParamPipe) id: string): Promise<TenantView> {
    return TenantView.of(await this.tenants.get(id));
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'rename, suspend or reinstate a tenant',
    description:
      "`{suspended: true}`: the tenant's keys still read (GET), but every change answers 403 `tenant_suspended`; its VMs keep " +
      'running (stop them as an operator if they must), and operations already accepted still finish. `{suspended: false}` reinstates it.',
  })
  @ApiOkResponse({ type: TenantView })
  async update(@Param('id', UuidParamPipe) id: string, @Body() dto: UpdateTenantDto): Promise<TenantView> {
    return TenantView.of(await this.tenants.update(id, { name: dto.name, suspended: dto.suspended }));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  async remove(@Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.tenants.delete(id);
  }
}
