// Test helper: volume rows and operations written as apps/api volumes.service writes them, one request each.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { JobName, OperationLauncher, OperationRepository, VolumeRepository, type OperationEntity, type VolumeEntity } from '@xenplane/core';
import { QuotaService, TenantAccessService, volumeFootprint } from '@xenplane/tenancy';
import type { SeedDeps } from './worker-seeds.js';

export class VolumeSeeds {
  constructor(private readonly deps: SeedDeps) {}

  /** POST /v1/volumes: volumes and volumeGiB charged, the row and volume.create. */
  create(tenantId: string, sizeGiB = 1, typeId: string | null = null): Promise<{ volume: VolumeEntity; operation: OperationEntity }> {
    const [id, operationId] = [randomUUID(), randomUUID()];
    return this.request(tenantId, async (tx) => {
      await this.deps.get(QuotaService).charge(tx, tenantId, volumeFootprint({ sizeGiB }), { resourceId: id, operationId });
      const volume = await this.deps
        .get(VolumeRepository)
        .insert(tx, { id, tenantId, poolId: this.deps.poolId, typeId, name: `v-${id.slice(0, 8)}`, sizeGiB });
      return { volume, operation: await this.launch(tx, tenantId, JobName.VolumeCreate, id, operationId) };
    });
  }

  attach(tenantId: string, id: string, vmId: string): Promise<OperationEntity> {
    return this.change(tenantId, id, JobName.VolumeAttach, { status: 'attaching', vmId });
  }

  detach(tenantId: string, id: string, force = false): Promise<OperationEntity> {
    return this.change(tenantId, id, JobName.VolumeDetach, { status: 'detaching' }, { force });
  }

  /** PATCH /v1/volumes/:id: the growth charged now, the new size on the row, the old one in the checkpoint. */
  resize(tenantId: string, id: string, sizeGiB: number): Promise<OperationEntity> {
    return this.request(tenantId, async (tx) => {
      const v = (await this.deps.get(VolumeRepository).findForUpdate(tx, tenantId, id))!;
      const operationId = randomUUID();
      await this.deps.get(QuotaService).charge(tx, tenantId, { volumeGiB: sizeGiB - v.sizeGiB }, { resourceId: id, operationId });
      const operation = await this.launch(tx, tenantId, JobName.VolumeResize, id, operationId);
      await this.deps.get(OperationRepository).checkpoint(tx, tenantId, operationId, 'accepted', { previousSizeGiB: v.sizeGiB });
      await this.deps.get(VolumeRepository).update(tx, tenantId, id, { status: 'resizing', sizeGiB });
      return operation;
    });
  }

  remove(tenantId: string, id: string): Promise<OperationEntity> {
    return this.change(tenantId, id, JobName.VolumeDelete, { status: 'deleting' });
  }

  find(v: Pick<VolumeEntity, 'tenantId' | 'id'>): Promise<VolumeEntity> {
    return this.deps.get(VolumeRepository).find(v.tenantId, v.id) as Promise<VolumeEntity>;
  }

  private change(tenantId: string, id: string, job: JobName, patch: Partial<VolumeEntity>, checkpoint?: Record<string, unknown>) {
    return this.request(tenantId, async (tx) => {
      await this.deps.get(VolumeRepository).findForUpdate(tx, tenantId, id);
      const operation = await this.launch(tx, tenantId, job, id);
      if (checkpoint) await this.deps.get(OperationRepository).checkpoint(tx, tenantId, operation.id, 'accepted', checkpoint);
      await this.deps.get(VolumeRepository).update(tx, tenantId, id, patch);
      return operation;
    });
  }

  private request<T>(tenantId: string, fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.deps.ds.transaction(async (tx) => {
      await this.deps.get(TenantAccessService).holdActive(tx, tenantId);
      return fn(tx);
    });
  }

  private launch(tx: EntityManager, tenantId: string, job: JobName, id: string, operationId?: string): Promise<OperationEntity> {
    return this.deps.get(OperationLauncher).launch(tx, tenantId, job, { type: 'volume', id }, { requestId: `req-${randomUUID()}` }, operationId);
  }
}
