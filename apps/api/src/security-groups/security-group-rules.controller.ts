import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { TenantAccessService, type Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal } from '../auth/roles.decorator.js';
import { ApiDoc } from '../common/api-errors.decorator.js';
import { TenantQueryDto } from '../common/query.dto.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { CreateSecurityGroupRuleDto, SecurityGroupRuleView } from './security-group.dto.js';
import { SecurityGroupsService } from './security-groups.service.js';

@ApiTags('security-groups')
@ApiBearerAuth()
@AnyRole()
@Controller('v1/security-groups/:id/rules')
export class SecurityGroupRulesController {
  constructor(
    private readonly groups: SecurityGroupsService,
    private readonly access: TenantAccessService,
  ) {}

  @Post()
  @ApiDoc({
    summary: 'add a rule to a security group',
    description:
      'Lets new connections through: ingress to, or egress from, every NIC in the group; replies and related traffic always pass ' +
      '(stateful). `protocol` tcp, udp, icmp or any; ports (tcp/udp only) as an inclusive range; the peer as exactly one of ' +
      "`remoteCidr` (IPv4) or `remoteGroupId` (a group of the same tenant: another tenant's is 404). The hosts' flows follow within one " +
      "reconcile. Counts against the tenant's `securityGroupRules` quota.",
    errors: ['quota_exceeded'],
  })
  @ApiCreatedResponse({ type: SecurityGroupRuleView })
  async create(
    @CurrentPrincipal() p: Principal,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Body() dto: CreateSecurityGroupRuleDto,
  ): Promise<SecurityGroupRuleView> {
    return SecurityGroupRuleView.of(await this.groups.addRule(await this.access.resolve(p, q.tenantId), id, dto));
  }

  @Get()
  @ApiDoc({ summary: "a security group's rules", description: 'Oldest first (a group holds at most what its quota allows).' })
  @ApiOkResponse({ type: [SecurityGroupRuleView] })
  async list(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Param('id', UuidParamPipe) id: string): Promise<SecurityGroupRuleView[]> {
    return (await this.groups.rules(await this.access.resolve(p, q.tenantId), id)).map(SecurityGroupRuleView.of);
  }

  @Get(':ruleId')
  @ApiDoc({ summary: 'one rule', description: "Another tenant's group or rule is 404." })
  @ApiOkResponse({ type: SecurityGroupRuleView })
  async get(
    @CurrentPrincipal() p: Principal,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Param('ruleId', UuidParamPipe) ruleId: string,
  ): Promise<SecurityGroupRuleView> {
    return SecurityGroupRuleView.of(await this.groups.rule(await this.access.resolve(p, q.tenantId), id, ruleId));
  }

  @Delete(':ruleId')
  @HttpCode(204)
  @ApiDoc({
    summary: 'delete a rule',
    description: 'New connections it allowed are refused, and open ones it allowed are cut, within one reconcile of the hosts. Gives its quota back.',
  })
  @ApiNoContentResponse()
  async remove(
    @CurrentPrincipal() p: Principal,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Param('ruleId', UuidParamPipe) ruleId: string,
  ): Promise<void> {
    await this.groups.removeRule(await this.access.resolve(p, q.tenantId), id, ruleId);
  }
}
