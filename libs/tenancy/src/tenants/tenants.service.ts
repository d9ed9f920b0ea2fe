import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  InUseError,
  isUniqueViolation,
  NameTakenError,
  NotFoundError,
  type ListFilter,
  type Page,
  type PageRequest,
  type TenantEntity,
} from '@xenplane/core';
import type { QuotaLimits } from '../quota/quota-math.js';
import { QuotaService } from '../quota/quota.service.js';
import { ResourceLifecycle } from '../lifecycle/resource-lifecycle.service.js';
import { TenantRepository } from './tenant.repository.js';

@Injectable()
export class TenantsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly tenants: TenantRepository,
    private readonly quotas: QuotaService,
    private readonly lifecycle: ResourceLifecycle,
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
      if (isUniqueViolation(err)) throw new NameTakenError('tenant', name);
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
      if (isUniqueViolation(err)) throw new NameTakenError('tenant', changes.name ?? '');
      throw err;
    }
    return this.get(id);
  }

  /** The tenant goes with its keys and its images that never got a disk in one transaction, only if it owns nothing live. */
  async delete(id: string): Promise<void> {
    await this.get(id);
    const result = await this.ds.transaction(async (tx) => {
      const r = await this.tenants.deleteIfEmpty(tx, id);
      if (!('diskless' in r)) return r;
      // A queued image holds no disk and no quota: it goes with its tenant rather than keeping the tenant alive.
      for (const image of r.diskless) {
        await this.lifecycle.apply(tx, { kind: 'image', tenantId: id, id: image }, 'gone', {
          patch: { status: 'deleted' },
          operationId: randomUUID(),
        });
      }
      return 'deleted' as const;
    });
    if (result !== 'deleted') {
      throw new InUseError(
        `the tenant still owns ${result.vms} VMs, ${result.networks} networks, ${result.volumes} volumes, ${result.snapshots} snapshots and ${result.images} images with a disk; delete them first`,
        { ...result },
      );
    }
  }
}
