import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { VolumeEntity, VolumeTypeEntity } from '../entities/volume.entity.js';
import type { ListFilter, Page, PageRequest } from '../pagination.js';
import { isUniqueViolation } from '../../errors/domain-error.js';
import { filterBy, pageBy } from './keyset.js';

export type NewVolume = Pick<VolumeEntity, 'id' | 'tenantId' | 'poolId' | 'typeId' | 'name' | 'sizeGiB'> &
  Partial<Pick<VolumeEntity, 'sourceSnapshotId'>>;

/** Volumes; writes take the transaction first, then every method the tenant id. */
@Injectable()
export class VolumeRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(tx: EntityManager, v: NewVolume): Promise<VolumeEntity> {
    const row = {
      sourceSnapshotId: null,
      ...v,
      status: 'pending' as const,
      vmId: null,
      xapiUuid: null,
      vbdUuid: null,
      device: null,
      errorReason: null,
    };
    const inserted = await tx.createQueryBuilder().insert().into(VolumeEntity).values(row).returning('*').execute();
    return tx.create(VolumeEntity, inserted.generatedMaps[0] as VolumeEntity);
  }

  find(tenantId: string, id: string, q: EntityManager = this.ds.manager): Promise<VolumeEntity | null> {
    return q.findOne(VolumeEntity, { where: { tenantId, id } });
  }

  /** Locks the row for the rest of `tx`, so a state check and the change that follows cannot interleave. */
  findForUpdate(tx: EntityManager, tenantId: string, id: string): Promise<VolumeEntity | null> {
    return tx.findOne(VolumeEntity, { where: { tenantId, id }, lock: { mode: 'pessimistic_write' } });
  }

  list(tenantId: string, page: PageRequest, filter: ListFilter = {}): Promise<Page<VolumeEntity>> {
    const qb = this.ds.manager.createQueryBuilder(VolumeEntity, 'vol').where('vol.tenant_id = :tenantId', { tenantId });
    return pageBy(filterBy(qb, 'vol', filter, { hidden: ['deleted'] }), 'vol', page);
  }

  /** The volumes attached (or being attached) to a VM. */
  listForVm(tenantId: string, vmId: string, q: EntityManager = this.ds.manager): Promise<VolumeEntity[]> {
    return q.find(VolumeEntity, { where: { tenantId, vmId } });
  }

  /** Volumes still being made from this snapshot (its content is copied from it): the snapshot must stay till then. */
  async restoringFrom(tx: EntityManager, tenantId: string, snapshotId: string): Promise<VolumeEntity[]> {
    return tx.find(VolumeEntity, { where: { tenantId, sourceSnapshotId: snapshotId, status: 'pending' } });
  }

  /** A deleted VM's volumes: its destroy took their VBDs, the volumes stay, detached. */
  async detachAllFromVm(tx: EntityManager, tenantId: string, vmId: string): Promise<void> {
    await tx.update(
      VolumeEntity,
      { tenantId, vmId, status: 'in-use' },
      { vmId: null, vbdUuid: null, device: null, status: 'available', updatedAt: () => 'now()' },
    );
  }

  async update(tx: EntityManager, tenantId: string, id: string, patch: Partial<Omit<VolumeEntity, 'presence'>>): Promise<void> {
    await tx.update(VolumeEntity, { tenantId, id }, { ...patch, updatedAt: () => 'now()' });
  }
}

/** Operator volume types (not tenant-owned). */
@Injectable()
export class VolumeTypeRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** null when the pool already has a type of that name. */
  async insert(t: Omit<VolumeTypeEntity, 'createdAt'>): Promise<VolumeTypeEntity | null> {
    try {
      const inserted = await this.ds.manager.createQueryBuilder().insert().into(VolumeTypeEntity).values(t).returning('*').execute();
      return this.ds.manager.create(VolumeTypeEntity, inserted.generatedMaps[0] as VolumeTypeEntity);
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  }

  find(id: string): Promise<VolumeTypeEntity | null> {
    return this.ds.manager.findOne(VolumeTypeEntity, { where: { id } });
  }

  findByName(poolId: string, name: string): Promise<VolumeTypeEntity | null> {
    return this.ds.manager
      .createQueryBuilder(VolumeTypeEntity, 't')
      .where('t.pool_id = :poolId AND lower(t.name) = lower(:name)', { poolId, name })
      .getOne();
  }

  list(page: PageRequest, filter: ListFilter = {}): Promise<Page<VolumeTypeEntity>> {
    return pageBy(filterBy(this.ds.manager.createQueryBuilder(VolumeTypeEntity, 't'), 't', filter, { statusColumn: null }), 't', page);
  }
}
