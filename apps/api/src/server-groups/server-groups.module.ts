import { Module } from '@nestjs/common';
import { PlacementDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { ServerGroupsController } from './server-groups.controller.js';
import { ServerGroupsService } from './server-groups.service.js';

/** Tenants' server groups: the placement rules (anti-affinity, affinity, soft) VMs join at creation. */
@Module({
  imports: [PlacementDataModule, TenancyModule],
  controllers: [ServerGroupsController],
  providers: [ServerGroupsService],
})
export class ServerGroupsModule {}
