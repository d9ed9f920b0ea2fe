import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { TenantAccessService, type Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal } from '../auth/roles.decorator.js';
import { ApiDoc } from '../common/api-errors.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { TenantFilteredQuery, listFilter } from '../common/list-query.dto.js';
import { TenantQueryDto } from '../common/query.dto.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { CreateSecurityGroupDto, SecurityGroupView, UpdateSecurityGroupDto } from './security-group.dto.js';
import { SecurityGroupsService, type GroupWithRules } from './security-groups.service.js';

class SecurityGroupListQuery extends TenantFilteredQuery(null, { named: true }) {}
const view = ({ group, rules }: GroupWithRules) => SecurityGroupView.of(group, rules);

@ApiTags('security-groups')
@ApiBearerAuth()
@AnyRole()
@Controller('v1/security-groups')
export class SecurityGroupsController {
  constructor(
    private readonly groups: SecurityGroupsService,
    private readonly access: TenantAccessService,
  ) {}

  @Post()
  @ApiDoc({
    summary: 'create a security group',
    description:
      'An empty group (no rule: it admits no new connection in or out) to add rules to. Names are unique per tenant (409 name_taken); ' +
      "counts against the tenant's `securityGroups` quota. Every tenant also has a `default` group that NICs join when none is named.",
    errors: ['name_taken', 'quota_exceeded'],
  })
  @ApiCreatedResponse({ type: SecurityGroupView })
  async create(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Body() dto: CreateSecurityGroupDto): Promise<SecurityGroupView> {
    return view(await this.groups.create(await this.access.resolve(p, q.tenantId), dto));
  }

  @Get()
  @ApiDoc({ summary: "the tenant's security groups", description: 'Newest first, paginated, each with its rules.' })
  @ApiOkResponse({ type: PageOf(SecurityGroupView) })
  async list(@CurrentPrincipal() p: Principal, @Query() q: SecurityGroupListQuery) {
    return mapPage(await this.groups.list(await this.access.resolve(p, q.tenantId), q, listFilter(q)), view);
  }

  @Get(':id')
  @ApiDoc({ summary: 'one security group', description: "With its rules. Another tenant's group is 404, as one that does not exist." })
  @ApiOkResponse({ type: SecurityGroupView })
  async get(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Param('id', UuidParamPipe) id: string): Promise<SecurityGroupView> {
    return view(await this.groups.get(await this.access.resolve(p, q.tenantId), id));
  }

  @Patch(':id')
  @ApiDoc({
    summary: 'rename or describe a security group',
    description: 'Rules are added and removed under /rules. The default group keeps its name (409 default_group).',
    errors: ['name_taken', 'default_group'],
  })
  @ApiOkResponse({ type: SecurityGroupView })
  async update(
    @CurrentPrincipal() p: Principal,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Body() dto: UpdateSecurityGroupDto,
  ): Promise<SecurityGroupView> {
    return view(await this.groups.update(await this.access.resolve(p, q.tenantId), id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiDoc({
    summary: 'delete a security group',
    description:
      "Refused while a NIC carries it or another group's rule names it as remoteGroupId (409 in_use, usedBy.vms / usedBy.securityGroups); " +
      'the default group stays (409 default_group). Gives its quota and its rules\u2019 back.',
    errors: ['in_use', 'default_group'],
  })
  @ApiNoContentResponse()
  async remove(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.groups.remove(await this.access.resolve(p, q.tenantId), id);
  }
}
