import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { NotFoundError, requestContext } from '@xenplane/core';
import { actingTenant, isOperator, type Principal } from '../principal.js';
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

  /** The tenant a list reads: as `resolve`, except that an operator naming none reads every tenant's (null). */
  async resolveList(principal: Principal, requested?: string): Promise<string | null> {
    return isOperator(principal) && !requested ? null : this.resolve(principal, requested);
  }

  /**
   * First statement of every transaction that creates something a tenant owns: the tenant must still be active, and
   * stays so until the transaction ends (a delete waits, then counts what was made), so nothing lands in a deleted one.
   */
  async holdActive(tx: EntityManager, tenantId: string): Promise<void> {
    if (!(await this.tenants.lockActive(tx, tenantId))) throw new NotFoundError('tenant', tenantId);
  }
}
