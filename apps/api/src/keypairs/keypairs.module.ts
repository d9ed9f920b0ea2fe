import { Module } from '@nestjs/common';
import { KeypairsDataModule } from '@xenplane/core';
import { TenancyModule } from '@xenplane/tenancy';
import { KeypairsController } from './keypairs.controller.js';
import { KeypairsService } from './keypairs.service.js';

/** Tenants' SSH keypairs, given to VMs at creation through their config drives. */
@Module({
  imports: [KeypairsDataModule, TenancyModule],
  controllers: [KeypairsController],
  providers: [KeypairsService],
})
export class KeypairsModule {}
