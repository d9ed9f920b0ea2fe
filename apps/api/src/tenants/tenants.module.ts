import { Module } from '@nestjs/common';
import { TenancyModule } from '@xenplane/tenancy';
import { ApiKeysController } from './api-keys.controller.js';
import { OperatorKeysController } from './operator-keys.controller.js';
import { TenantsController } from './tenants.controller.js';

/** Tenants (operators), their API keys (operators and tenant admins) and operator keys; the rules live in libs/tenancy. */
@Module({ imports: [TenancyModule], controllers: [TenantsController, ApiKeysController, OperatorKeysController] })
export class TenantsModule {}
