import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  DomainError,
  InUseError,
  OperationInProgressError,
  InvalidStateError,
  fieldError,
  JobName,
  NotFoundError,
  OperationLauncher,
  OperationRepository,
  PoolRepository,
  SnapshotRepository,
  VmRepository,
  VolumeRepository,
  VolumeTypeRepository,
  type OperationEntity,
  type ListFilter,
  type Page,
  type PageRequest,
  type RequestMeta,
  type VolumeEntity,
} from '@xenplane/core';
import { QuotaService, TenantAccessService, volumeFootprint } from '@xenplane/tenancy';
import type { CreateVolumeDto } from './volume.dto.js';

export type Accepted = { volume: VolumeEntity; operation: OperationEntity };

/** Volume rules: quota at request time, one operation at a time, attach only to the tenant's own live VMs, grow only detached or stopped. */
@Injectable()
export class VolumesService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly volumes: VolumeRepository,
    private readonly types: VolumeTypeRepository,
    private readonly vms: VmRepository,
    private readonly pools: PoolRepository,
    private readonly operations: OperationRepository,
    private readonly launcher: OperationLauncher,
    private readonly quota: QuotaService,
    private readonly tenants: TenantAccessService,
    private readonly snapshots: SnapshotRepository,
  ) {}

  async create(tenantId: string, dto: CreateVolumeDto, meta: RequestMeta): Promise<Accepted> {
    const pool = await this.pools.findDefault();
    if (!pool) throw new DomainError('unavailable', 'no XAPI pool is registered');
    const type = dto.type === undefined ? null : await this.types.findByName(pool.id, dto.type);
    if (dto.type !== undefined && !type) throw fieldError('type', 'no such volume type');
    const [id, operationId] = [randomUUID(), randomUUID()];
    return this.ds.transaction(async (tx) => {
      await this.tenants.holdActive(tx, tenantId);
      if (dto.snapshotId) await this.assertRestorable(tx, tenantId, dto.snapshotId, dto.sizeGiB, pool.id);
      // Charged in the transaction that records the volume: both commit or neither.
      await this.quota.charge(tx, tenantId, volumeFootprint(dto), { resourceId: id, operationId });
      const row = {
        id,
        tenantId,
        poolId: pool.id,
        typeId: type?.id ?? null,
        name: dto.name,
        sizeGiB: dto.sizeGiB,
        sourceSnapshotId: dto.snapshotId ?? null,
      };
      const volume = await this.volumes.insert(tx, row);
      const operation = await this.launcher.launch(tx, tenantId, JobName.VolumeCreate, { type: 'volume', id }, meta, operationId);
      return { volume, operation };
    });
  }

  /** A restore copies a volume's snapshot of this tenant, available, on this pool, into a volume no smaller. */
  private async assertRestorable(tx: EntityManager, tenantId: string, snapshotId: string, sizeGiB: number, poolId: string): Promise<void> {
    const snapshot = await this.snapshots.findForUpdate(tx, tenantId, snapshotId);
    if (!snapshot || snapshot.status === 'deleted') throw new NotFoundError('snapshot', snapshotId);
    if (!snapshot.volumeId || snapshot.status !== 'available') {
      const why = snapshot.volumeId ? `is ${snapshot.status}` : 'is of a VM (revert to it instead)';
      throw new InvalidStateError(`snapshot ${snapshotId} ${why}`, { currentStatus: snapshot.status, action: 'restore' });
    }
    if (snapshot.poolId !== poolId)
      throw new DomainError('pool_mismatch', `snapshot ${snapshotId} is on another pool`, { snapshotPoolId: snapshot.poolId });
    if (sizeGiB < snapshot.sizeGiB) {
      const message = `the snapshot holds ${snapshot.sizeGiB} GiB: sizeGiB must be at least that`;
      throw new DomainError('volume_shrink', message, { snapshotSizeGiB: snapshot.sizeGiB, errors: [{ path: 'sizeGiB', message }] });
    }
  }

  async get(tenantId: string, id: string): Promise<VolumeEntity> {
    const volume = await this.volumes.find(tenantId, id);
    if (!volume) throw new NotFoundError('volume', id);
    return volume;
  }

  list(tenantId: string, page: PageRequest, filter: ListFilter): Promise<Page<VolumeEntity>> {
    return this.volumes.list(tenantId, page, filter);
  }

  /** Attach to a VM of the same tenant (another tenant's is 404); a running guest known not to hot-plug is 409 requires_stop. */
  attach(tenantId: string, id: string, vmId: string, meta: RequestMeta): Promise<Accepted> {
    return this.change(tenantId, id, async (tx, volume) => {
      if (volume.vmId) throw new InUseError(`volume ${id} is already attached to VM ${volume.vmId}`, { vms: [volume.vmId] }, { vmId: volume.vmId });
      this.assertStatus(volume, 'attach', ['available']);
      const vm = await this.vms.findForUpdate(tx, tenantId, vmId);
      if (!vm) throw new NotFoundError('vm', vmId);
      if (vm.status !== 'running' && vm.status !== 'stopped') {
        throw new InvalidStateError(`cannot attach a volume to a VM that is ${vm.status}`, { currentStatus: vm.status, action: 'attach' });
      }
      // A VDI plugs only into a VM of its own pool.
      if (vm.poolId !== volume.poolId) {
        throw new DomainError('pool_mismatch', `VM ${vmId} is on another pool than volume ${id}`, {
          vmPoolId: vm.poolId,
          volumePoolId: volume.poolId,
        });
      }
      // Known from the guest agent's last report (the worker checks again before plugging): refused now, not as a failed operation.
      if (vm.status === 'running' && vm.hotplugVbd === false) {
        throw new DomainError('requires_stop', `VM ${vmId}'s guest cannot hot-plug disks: stop it to attach this volume`);
      }
      await this.assertIdle(tx, tenantId, vmId, 'vm');
      const operation = await this.launcher.launch(tx, tenantId, JobName.VolumeAttach, { type: 'volume', id }, meta);
      return { operation, patch: { status: 'attaching', vmId } };
    });
  }

  detach(tenantId: string, id: string, force: boolean, meta: RequestMeta): Promise<Accepted> {
    return this.change(tenantId, id, async (tx, volume) => {
      if (!volume.vmId) throw new InvalidStateError(`volume ${id} is not attached`, { currentStatus: volume.status, action: 'detach' });
      this.assertStatus(volume, 'detach', ['in-use', 'error']);
      const operation = await this.launcher.launch(tx, tenantId, JobName.VolumeDetach, { type: 'volume', id }, meta);
      await this.operations.checkpoint(tx, tenantId, operation.id, 'accepted', { force });
      return { operation, patch: { status: 'detaching' } };
    });
  }

  /** Grow only: charged now with the new size on the row; a failed grow gives it back. */
  resize(tenantId: string, id: string, sizeGiB: number, meta: RequestMeta): Promise<Accepted> {
    return this.change(tenantId, id, async (tx, volume) => {
      this.assertStatus(volume, 'resize', ['available', 'in-use']);
      if (sizeGiB <= volume.sizeGiB) {
        const message = `volumes only grow: sizeGiB must be larger than ${volume.sizeGiB}`;
        throw new DomainError('volume_shrink', message, { currentSizeGiB: volume.sizeGiB, errors: [{ path: 'sizeGiB', message }] });
      }
      if (volume.vmId) {
        const vm = await this.vms.find(tenantId, volume.vmId, tx);
        if (vm?.status !== 'stopped')
          throw new DomainError('detach_required', `volume ${id} is attached to a VM that is not stopped: detach it or stop the VM`);
      }
      const operationId = randomUUID();
      await this.quota.charge(tx, tenantId, { volumeGiB: sizeGiB - volume.sizeGiB }, { resourceId: id, operationId });
      const operation = await this.launcher.launch(tx, tenantId, JobName.VolumeResize, { type: 'volume', id }, meta, operationId);
      await this.operations.checkpoint(tx, tenantId, operationId, 'accepted', { previousSizeGiB: volume.sizeGiB });
      return { operation, patch: { status: 'resizing', sizeGiB } };
    });
  }

  remove(tenantId: string, id: string, meta: RequestMeta): Promise<Accepted> {
    return this.change(tenantId, id, async (tx, volume) => {
      if (volume.vmId) {
        throw new InUseError(`volume ${id} is attached to VM ${volume.vmId}: detach it first`, { vms: [volume.vmId] }, { vmId: volume.vmId });
      }
      this.assertStatus(volume, 'delete', ['available', 'error']);
      const operation = await this.launcher.launch(tx, tenantId, JobName.VolumeDelete, { type: 'volume', id }, meta);
      return { operation, patch: { status: 'deleting' } };
    });
  }

  /** Under the volume's row lock: no other operation on it, then the rule, the operation and the row's new state together. */
  private change(
    tenantId: string,
    id: string,
    rule: (tx: EntityManager, v: VolumeEntity) => Promise<{ operation: OperationEntity; patch: Partial<VolumeEntity> }>,
  ): Promise<Accepted> {
    return this.ds.transaction(async (tx) => {
      const volume = await this.volumes.findForUpdate(tx, tenantId, id);
      if (!volume) throw new NotFoundError('volume', id);
      await this.assertIdle(tx, tenantId, id, 'volume');
      const { operation, patch } = await rule(tx, volume);
      await this.volumes.update(tx, tenantId, id, patch);
      return { volume: { ...volume, ...patch }, operation };
    });
  }

  private async assertIdle(tx: EntityManager, tenantId: string, resourceId: string, what: string): Promise<void> {
    const active = await this.operations.findActiveFor(tx, tenantId, resourceId);
    if (active) throw new OperationInProgressError({ type: what, id: resourceId }, active);
  }

  private assertStatus(volume: VolumeEntity, action: string, allowed: VolumeEntity['status'][]): void {
    if (!allowed.includes(volume.status)) {
      throw new InvalidStateError(`cannot ${action} a volume that is ${volume.status}`, { currentStatus: volume.status, action });
    }
  }
}
