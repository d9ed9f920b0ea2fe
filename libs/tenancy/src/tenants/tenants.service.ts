import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ConflictError, isUniqueViolation, NotFoundError, type ListFilter, type Page, type PageRequest, type TenantEntity } from '@xenplane/core';
import type { QuotaLimits } from '../quota/quota-math.js';
import { QuotaService } from '../quota/quota.service.js';
import { TenantRepository } from './tenant.repository.js';

@Injectable()
export class TenantsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly tenants: TenantRepository,
    private readonly quotas: QuotaService,
  ) {}

  /** The tenant and its quota row (limits not given, or no quota at all, are unlimited) commit together. */
  async create(name: string, limits: Partial<QuotaLimits> | null = {}): Promise<TenantEntity> {
    try {
      return await this.ds.transaction(async (tx) => {
        const tenant = await this.tenants.insert(tx, randomUUID(), name);
        await this.quotas.createFor(tx, tenant.id, limits ?? {});
        return tenant;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a tenant named "${name}" exists`);
      throw err;
    }
  }

  async get(id: string): Promise<TenantEntity> {
    const tenant = await this.tenants.find(id);
    if (!tenant) throw new NotFoundError('tenant', id);
    return tenant;
  }

  list(page: PageRequest, filter: ListFilter = {}): Promise<Page<TenantEntity>> {
    return this.tenants.list(page, filter);
  }

  async rename(id: string, name: string): Promise<TenantEntity> {
    return this.update(id, { name });
  }

  /** Renames and/or suspends (its keys may then read, not change) or reinstates, in one transaction. */
  async update(id: string, changes: { name?: string; suspended?: boolean }): Promise<TenantEntity> {
    await this.get(id);
    try {
      await this.ds.transaction(async (tx) => {
        if (changes.name !== undefined) await this.tenants.rename(tx, id, changes.name);
        if (changes.suspended !== undefined) await this.tenants.setSuspended(tx, id, changes.suspended);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a tenant named "${changes.name}" exists`);
      throw err;
    }
    return this.get(id);
  }

  /** The tenant goes with its keys in one transaction, only if it owns nothing live. */
  async delete(id: string): Promise<void> {
    await this.get(id);
    if ((await this.ds.transaction((tx) => this.tenants.deleteIfEmpty(tx, id))) === 'not_empty') {
      throw new ConflictError('the tenant still owns resources; delete them first');
    }
  }
}
