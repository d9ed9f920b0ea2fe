import { Module } from '@nestjs/common';
import { TenancyModule } from '@xenplane/tenancy';
import { ApiKeysController } from './api-keys.controller.js';
import { TenantsController } from './tenants.controller.js';

/** Tenants (operators) and their API keys (operators and tenant admins); the rules live in libs/tenancy. */
@Module({ imports: [TenancyModule], controllers: [TenantsController, ApiKeysController] })
export class TenantsModule {}
