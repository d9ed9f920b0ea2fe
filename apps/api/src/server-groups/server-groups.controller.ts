import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { TenantAccessService, type Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { TenantFilteredQuery, listFilter } from '../common/list-query.dto.js';
import { TenantQueryDto } from '../common/query.dto.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { ApiDoc } from '../common/api-errors.decorator.js';
import { CreateServerGroupDto, ServerGroupView } from './server-group.dto.js';
import { ServerGroupsService, type ServerGroupWithMembers } from './server-groups.service.js';

class ServerGroupListQuery extends TenantFilteredQuery(null, { named: true }) {}
const view = (g: ServerGroupWithMembers) => ServerGroupView.of(g, g.members);

@ApiTags('server-groups')
@ApiBearerAuth()
@AnyRole()
@Controller('v1/server-groups')
export class ServerGroupsController {
  constructor(
    private readonly groups: ServerGroupsService,
    private readonly access: TenantAccessService,
  ) {}

  @Post()
  @ApiDoc({
    summary: 'create a server group',
    description:
      'A placement rule VMs join at creation (POST /v1/vms with serverGroupId): anti-affinity keeps members on different hosts, ' +
      'affinity on one, soft-anti-affinity apart when it can. Placements into one group take turns, so concurrent creates keep the rule.',
    errors: ['name_taken'],
  })
  @ApiCreatedResponse({ type: ServerGroupView })
  async create(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Body() dto: CreateServerGroupDto): Promise<ServerGroupView> {
    return view(await this.groups.create(await this.access.resolve(p, q.tenantId), dto.name, dto.policy));
  }

  @Get()
  @ApiDoc({ summary: "the tenant's server groups", description: 'Newest first, paginated, each with its members.' })
  @ApiOkResponse({ type: PageOf(ServerGroupView) })
  async list(@CurrentPrincipal() p: Principal, @Query() q: ServerGroupListQuery) {
    return mapPage(await this.groups.list(await this.access.resolve(p, q.tenantId), q, listFilter(q)), view);
  }

  @Get(':id')
  @ApiDoc({ summary: 'one server group', description: "Its policy and members; another tenant's group is 404." })
  @ApiOkResponse({ type: ServerGroupView })
  async get(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Param('id', UuidParamPipe) id: string): Promise<ServerGroupView> {
    return view(await this.groups.get(await this.access.resolve(p, q.tenantId), id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiDoc({
    summary: 'delete a server group',
    description: 'Only an empty group: 409 in_use with usedBy.vms while VMs are in it.',
    errors: ['in_use'],
  })
  @ApiNoContentResponse()
  async remove(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.groups.remove(await this.access.resolve(p, q.tenantId), id);
  }
}
