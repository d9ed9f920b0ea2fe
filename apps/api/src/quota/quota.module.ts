import { Module } from '@nestjs/common';
import { TenancyModule } from '@xenplane/tenancy';
import { QuotaController } from './quota.controller.js';
import { TenantQuotaController } from './tenant-quota.controller.js';

/** Quota limits (operators) and usage (tenants); the rules live in libs/tenancy. */
@Module({ imports: [TenancyModule], controllers: [QuotaController, TenantQuotaController] })
export class QuotaModule {}
