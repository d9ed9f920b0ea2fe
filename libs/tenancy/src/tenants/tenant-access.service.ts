import { Injectable } from '@nestjs/common';
import { NotFoundError, requestContext } from '@xenplane/core';
import { actingTenant, type Principal } from '../principal.js';
import { TenantRepository } from './tenant.repository.js';

/** Resolves the tenant a tenant-scoped request acts on, and checks it still exists. */
@Injectable()
export class TenantAccessService {
  constructor(private readonly tenants: TenantRepository) {}

  async resolve(principal: Principal, requested?: string): Promise<string> {
    const tenantId = actingTenant(principal, requested);
    if (!(await this.tenants.find(tenantId))) throw new NotFoundError('tenant', tenantId);
    requestContext.assign({ tenantId });
    return tenantId;
  }
}
