import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { VmEntity } from '../entities/vm.entity.js';
import type { Page, PageRequest } from '../pagination.js';
import { pageBy } from './keyset.js';

/** VMs; every method is scoped by tenant id first. */
@Injectable()
export class VmRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(tx: EntityManager, vm: Omit<VmEntity, 'createdAt' | 'updatedAt'>): Promise<VmEntity> {
    const rows = await tx.createQueryBuilder().insert().into(VmEntity).values(vm).returning('*').execute();
    return tx.create(VmEntity, rows.generatedMaps[0] as VmEntity);
  }

  find(tenantId: string, id: string, tx: EntityManager = this.ds.manager): Promise<VmEntity | null> {
    return tx.findOne(VmEntity, { where: { tenantId, id } });
  }

  /** Locks the row for the rest of `tx`, so a state check and the change that follows cannot interleave. */
  findForUpdate(tenantId: string, id: string, tx: EntityManager): Promise<VmEntity | null> {
    return tx.findOne(VmEntity, { where: { tenantId, id }, lock: { mode: 'pessimistic_write' } });
  }

  list(tenantId: string, page: PageRequest): Promise<Page<VmEntity>> {
    const qb = this.ds.manager.createQueryBuilder(VmEntity, 'vm').where('vm.tenant_id = :tenantId', { tenantId });
    return pageBy(qb, 'vm', page);
  }

  async update(tenantId: string, id: string, patch: Partial<VmEntity>, tx: EntityManager = this.ds.manager): Promise<void> {
    await tx.update(VmEntity, { tenantId, id }, { ...patch, updatedAt: () => 'now()' } as never);
  }

  async countOwnedBy(tenantId: string): Promise<number> {
    return this.ds.manager.createQueryBuilder(VmEntity, 'vm')
      .where('vm.tenant_id = :tenantId', { tenantId }).andWhere("vm.status <> 'deleted'").getCount();
  }
}
