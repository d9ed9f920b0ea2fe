import { Module } from '@nestjs/common';
import { AuditDataModule, CatalogDataModule, VmsDataModule, VolumesDataModule } from '@xenplane/core';
import { ApiKeyRepository } from './api-keys/api-key.repository.js';
import { ApiKeysService } from './api-keys/api-keys.service.js';
import { ApiKeyAuthService } from './api-keys/api-key-auth.service.js';
import { OperatorKeysService } from './api-keys/operator-keys.service.js';
import { TenantRepository } from './tenants/tenant.repository.js';
import { TenantsService } from './tenants/tenants.service.js';
import { TenantAccessService } from './tenants/tenant-access.service.js';
import { QuotaRepository } from './quota/quota.repository.js';
import { QuotaService } from './quota/quota.service.js';
import { ResourceLifecycle } from './lifecycle/resource-lifecycle.service.js';
import { WebSessionRepository } from './web-sessions/web-session.repository.js';
import { WebSessionsService } from './web-sessions/web-sessions.service.js';

/** Tenants, keys, quotas and resource lifecycles; quota corrections are audited, releases touch VMs and their NICs. */
@Module({
  imports: [AuditDataModule, VmsDataModule, VolumesDataModule, CatalogDataModule],
  providers: [
    TenantRepository,
    ApiKeyRepository,
    TenantsService,
    ApiKeysService,
    ApiKeyAuthService,
    OperatorKeysService,
    TenantAccessService,
    QuotaRepository,
    QuotaService,
    ResourceLifecycle,
    WebSessionRepository,
    WebSessionsService,
  ],
  exports: [
    TenantsService,
    ApiKeysService,
    ApiKeyAuthService,
    OperatorKeysService,
    TenantRepository,
    TenantAccessService,
    QuotaRepository,
    QuotaService,
    ResourceLifecycle,
    WebSessionsService,
  ],
})
export class TenancyModule {}
