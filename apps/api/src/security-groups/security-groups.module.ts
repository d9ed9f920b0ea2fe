import { Module } from '@nestjs/common';
import { SecurityGroupsDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { NicSecurityGroups } from './nic-security-groups.service.js';
import { SecurityGroupRulesController } from './security-group-rules.controller.js';
import { SecurityGroupsController } from './security-groups.controller.js';
import { SecurityGroupsService } from './security-groups.service.js';

/** Tenants' stateful security groups (issue 16); the worker's host reconcilers turn them into flows. */
@Module({
  imports: [SecurityGroupsDataModule, TenancyModule],
  controllers: [SecurityGroupsController, SecurityGroupRulesController],
  providers: [SecurityGroupsService, NicSecurityGroups],
  exports: [NicSecurityGroups],
})
export class SecurityGroupsModule {}
