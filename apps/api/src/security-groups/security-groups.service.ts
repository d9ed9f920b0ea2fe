import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  DomainError,
  InUseError,
  NameTakenError,
  NotFoundError,
  SecurityGroupRepository,
  type ListFilter,
  type Page,
  type PageRequest,
  type SecurityGroupEntity,
  type SecurityGroupRuleRow,
} from '@xenplane/core';
import { QuotaService, TenantAccessService } from '@xenplane/tenancy';
import type { CreateSecurityGroupDto, CreateSecurityGroupRuleDto, UpdateSecurityGroupDto } from './security-group.dto.js';
import { checkedRule } from './security-group-rule.rules.js';

export type GroupWithRules = { group: SecurityGroupEntity; rules: SecurityGroupRuleRow[] };

const defaultGroupError = (what: string) => new DomainError('default_group', `the default security group cannot be ${what}`);

/** Security groups and their rules: one unit of `securityGroups` per group, of `securityGroupRules` per rule. */
@Injectable()
export class SecurityGroupsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly groups: SecurityGroupRepository,
    private readonly quota: QuotaService,
    private readonly tenants: TenantAccessService,
  ) {}

  async create(tenantId: string, dto: CreateSecurityGroupDto): Promise<GroupWithRules> {
    const id = randomUUID();
    return this.ds.transaction(async (tx) => {
      await this.tenants.holdActive(tx, tenantId);
      await this.quota.charge(tx, tenantId, { securityGroups: 1 }, { resourceId: id, operationId: id });
      const group = await this.groups.insert(tx, { id, tenantId, name: dto.name, description: dto.description ?? '' });
      if (!group) throw new NameTakenError('security group', dto.name);
      return { group, rules: [] };
    });
  }

  async list(tenantId: string, page: PageRequest, filter: ListFilter): Promise<Page<GroupWithRules>> {
    const found = await this.groups.list(tenantId, page, filter);
    const rules = await this.groups.rules(
      tenantId,
      found.items.map((g) => g.id),
    );
    return { items: found.items.map((group) => ({ group, rules: rules.filter((r) => r.groupId === group.id) })), nextCursor: found.nextCursor };
  }

  async get(tenantId: string, id: string): Promise<GroupWithRules> {
    const group = await this.groups.find(tenantId, id);
    if (!group) throw new NotFoundError('security group', id);
    return { group, rules: await this.groups.rules(tenantId, [id]) };
  }

  async update(tenantId: string, id: string, dto: UpdateSecurityGroupDto): Promise<GroupWithRules> {
    return this.ds.transaction(async (tx) => {
      await this.tenants.holdActive(tx, tenantId);
      const group = await this.locked(tx, tenantId, id);
      if (group.isDefault && dto.name !== undefined && dto.name !== group.name) throw defaultGroupError('renamed');
      const updated = await this.groups.update(tx, tenantId, id, dto);
      if (updated === 'taken') throw new NameTakenError('security group', dto.name!);
      return { group: updated, rules: await this.groups.rules(tenantId, [id], tx) };
    });
  }

  /** Refused (409 in_use) while a NIC carries the group or another group's rule names it; gives its quota back. */
  async remove(tenantId: string, id: string): Promise<void> {
    await this.ds.transaction(async (tx) => {
      const group = await this.locked(tx, tenantId, id);
      if (group.isDefault) throw defaultGroupError('deleted');
      const usage = await this.groups.usage(tx, tenantId, id);
      if (usage.vmIds.length || usage.groupIds.length) {
        throw new InUseError(`security group ${id} is still used by ${usage.vmIds.length} VMs and ${usage.groupIds.length} groups' rules`, {
          vms: usage.vmIds,
          securityGroups: usage.groupIds,
        });
      }
      const gone = await this.groups.delete(tx, tenantId, id);
      if (!gone) throw new NotFoundError('security group', id);
      await this.quota.release(tx, tenantId, { securityGroups: 1, securityGroupRules: gone.chargedRules }, { resourceId: id, operationId: id });
    });
  }

  async rules(tenantId: string, groupId: string): Promise<SecurityGroupRuleRow[]> {
    return (await this.get(tenantId, groupId)).rules;
  }

  async rule(tenantId: string, groupId: string, ruleId: string): Promise<SecurityGroupRuleRow> {
    const found = await this.groups.findRule(tenantId, groupId, ruleId);
    if (!found) throw new NotFoundError('security group rule', ruleId);
    return found;
  }

  async addRule(tenantId: string, groupId: string, dto: CreateSecurityGroupRuleDto): Promise<SecurityGroupRuleRow> {
    const rule = checkedRule(dto);
    const id = randomUUID();
    return this.ds.transaction(async (tx) => {
      await this.tenants.holdActive(tx, tenantId);
      await this.locked(tx, tenantId, groupId);
      // Another tenant's group is 404 here too: the reference must not reveal it exists.
      if (rule.remoteGroupId && rule.remoteGroupId !== groupId && !(await this.groups.findMany(tx, tenantId, [rule.remoteGroupId])).length) {
        throw new NotFoundError('security group', rule.remoteGroupId);
      }
      await this.quota.charge(tx, tenantId, { securityGroupRules: 1 }, { resourceId: id, operationId: id });
      return this.groups.insertRule(tx, { id, tenantId, groupId, ...rule });
    });
  }

  /** The connections the rule allowed are cut within one reconcile (the flows revoke them by ct_mark). */
  async removeRule(tenantId: string, groupId: string, ruleId: string): Promise<void> {
    await this.ds.transaction(async (tx) => {
      await this.locked(tx, tenantId, groupId);
      const gone = await this.groups.deleteRule(tx, tenantId, groupId, ruleId);
      if (!gone) throw new NotFoundError('security group rule', ruleId);
      if (gone.charged) await this.quota.release(tx, tenantId, { securityGroupRules: 1 }, { resourceId: ruleId, operationId: ruleId });
    });
  }

  private async locked(tx: EntityManager, tenantId: string, id: string): Promise<SecurityGroupEntity> {
    const group = await this.groups.lock(tx, tenantId, id);
    if (!group) throw new NotFoundError('security group', id);
    return group;
  }
}
