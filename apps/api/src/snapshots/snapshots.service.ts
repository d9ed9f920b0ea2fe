import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  DomainError,
  InUseError,
  InvalidStateError,
  JobName,
  NameTakenError,
  NotFoundError,
  OperationInProgressError,
  OperationLauncher,
  OperationRepository,
  SnapshotRepository,
  VmRepository,
  VolumeRepository,
  isUniqueViolation,
  type ListFilter,
  type NewSnapshot,
  type OperationEntity,
  type Page,
  type PageRequest,
  type RequestMeta,
  type SnapshotEntity,
} from '@xenplane/core';
import { QuotaService, TenantAccessService, snapshotFootprint } from '@xenplane/tenancy';
import { VmDetails, type VmWithNics } from '../vms/vm-details.service.js';
import { VmResizeRecorder } from '../vms/vm-resize.recorder.js';

/** A VM or volume keeps at most this many snapshots: VHD chains much longer fail (SR_BACKEND_FAILURE_109, wave2 §3.6). */
export const MAX_SNAPSHOTS_PER_SUBJECT = 10;

export type Accepted = { snapshot: SnapshotEntity; operation: OperationEntity };

/**
 * Snapshot rules: quota at request time, a cap per VM or volume, one operation at a time on what is snapshotted (the
 * create and the revert run on the VM itself), and a revert that brings the snapshot's sizes back as a resize would.
 */
@Injectable()
export class SnapshotsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly snapshots: SnapshotRepository,
    private readonly vms: VmRepository,
    private readonly volumes: VolumeRepository,
    private readonly operations: OperationRepository,
    private readonly launcher: OperationLauncher,
    private readonly quota: QuotaService,
    private readonly tenants: TenantAccessService,
    private readonly resizer: VmResizeRecorder,
    private readonly details: VmDetails,
  ) {}

  /** A VM's snapshot: its boot disk and sizes (attached volumes and the config drive are left out: ignore_vdis). */
  snapshotVm(tenantId: string, vmId: string, name: string, meta: RequestMeta): Promise<Accepted> {
    return this.ds.transaction(async (tx) => {
      await this.tenants.holdActive(tx, tenantId);
      const vm = await this.vms.findForUpdate(tx, tenantId, vmId);
      if (!vm) throw new NotFoundError('vm', vmId);
      if (vm.status !== 'running' && vm.status !== 'stopped') {
        throw new InvalidStateError(`cannot snapshot a VM that is ${vm.status}`, { currentStatus: vm.status, action: 'snapshot' });
      }
      const { vcpus, memoryMiB, diskGiB, flavorId, liveMaxVcpus, liveMaxMemoryMiB } = vm;
      const sizes = { flavorId, vcpus, memoryMiB, diskGiB, liveMaxVcpus, liveMaxMemoryMiB };
      return this.create(tx, { tenantId, poolId: vm.poolId, vmId, volumeId: null, name, sizeGiB: diskGiB, ...sizes }, meta);
    });
  }

  /** A volume's snapshot (VDI.snapshot), attached or not. */
  snapshotVolume(tenantId: string, volumeId: string, name: string, meta: RequestMeta): Promise<Accepted> {
    return this.ds.transaction(async (tx) => {
      await this.tenants.holdActive(tx, tenantId);
      const volume = await this.volumes.findForUpdate(tx, tenantId, volumeId);
      if (!volume || volume.status === 'deleted') throw new NotFoundError('volume', volumeId);
      if (volume.status !== 'available' && volume.status !== 'in-use') {
        throw new InvalidStateError(`cannot snapshot a volume that is ${volume.status}`, { currentStatus: volume.status, action: 'snapshot' });
      }
      const none = { flavorId: null, vcpus: null, memoryMiB: null, diskGiB: null, liveMaxVcpus: null, liveMaxMemoryMiB: null };
      return this.create(tx, { tenantId, poolId: volume.poolId, vmId: null, volumeId, name, sizeGiB: volume.sizeGiB, ...none }, meta);
    });
  }

  private async create(tx: EntityManager, row: Omit<NewSnapshot, 'id'>, meta: RequestMeta): Promise<Accepted> {
    const subject = row.vmId ? { type: 'vm', id: row.vmId } : { type: 'volume', id: row.volumeId! };
    const of = { vmId: row.vmId ?? undefined, volumeId: row.volumeId ?? undefined };
    const count = await this.snapshots.countLive(tx, row.tenantId, of);
    if (count >= MAX_SNAPSHOTS_PER_SUBJECT) {
      throw new DomainError('snapshot_limit', `${subject.type} ${subject.id} has ${count} snapshots, the most it may keep: delete one first`, {
        limit: MAX_SNAPSHOTS_PER_SUBJECT,
      });
    }
    const [id, operationId] = [randomUUID(), randomUUID()];
    // The operation runs on the VM or volume: nothing else changes it while it is copied.
    const operation = await this.launcher.launch(tx, row.tenantId, JobName.SnapshotCreate, subject, meta, operationId);
    await this.quota.charge(tx, row.tenantId, snapshotFootprint(row), { resourceId: id, operationId });
    const snapshot = await this.insert(tx, { ...row, id });
    await this.operations.checkpoint(tx, row.tenantId, operationId, 'accepted', { snapshotId: id });
    return { snapshot, operation };
  }

  private async insert(tx: EntityManager, row: NewSnapshot): Promise<SnapshotEntity> {
    await tx.query('SAVEPOINT snapshot_insert');
    try {
      const made = await this.snapshots.insert(tx, row);
      await tx.query('RELEASE SAVEPOINT snapshot_insert');
      return made;
    } catch (err) {
      // uq_snapshots_name: one live snapshot of a name per VM or volume.
      if (isUniqueViolation(err)) throw new NameTakenError('snapshot', row.name);
      throw err;
    }
  }

  async get(tenantId: string, id: string): Promise<SnapshotEntity> {
    const s = await this.snapshots.find(tenantId, id);
    if (!s) throw new NotFoundError('snapshot', id);
    return s;
  }

  /** A VM's or volume's snapshots (404 when it is another tenant's), or all the tenant's. */
  async list(tenantId: string, page: PageRequest, filter: ListFilter, of: { vmId?: string; volumeId?: string } = {}): Promise<Page<SnapshotEntity>> {
    if (of.vmId && !(await this.vms.find(tenantId, of.vmId))) throw new NotFoundError('vm', of.vmId);
    if (of.volumeId && !(await this.volumes.find(tenantId, of.volumeId))) throw new NotFoundError('volume', of.volumeId);
    return this.snapshots.list(tenantId, page, filter, of);
  }

  /**
   * The VM stops, takes the snapshot's disk and settings back, and starts again if it was running. Its sizes become the
   * snapshot's at once, charged (or given back) as a resize is, through the same recorder; a failed revert gives them back.
   */
  revert(tenantId: string, id: string, meta: RequestMeta): Promise<Accepted & { vm: VmWithNics }> {
    return this.ds.transaction(async (tx) => {
      const snapshot = await this.snapshots.findForUpdate(tx, tenantId, id);
      if (!snapshot) throw new NotFoundError('snapshot', id);
      if (!snapshot.vmId) {
        throw new InvalidStateError(`snapshot ${id} is of a volume: restore it to a new volume (POST /v1/volumes with snapshotId)`, {
          currentStatus: snapshot.status,
          action: 'revert',
        });
      }
      if (snapshot.status !== 'available') {
        throw new InvalidStateError(`cannot revert to a snapshot that is ${snapshot.status}`, { currentStatus: snapshot.status, action: 'revert' });
      }
      const vm = await this.vms.findForUpdate(tx, tenantId, snapshot.vmId);
      if (!vm) throw new NotFoundError('vm', snapshot.vmId);
      if (vm.status !== 'running' && vm.status !== 'stopped') {
        throw new InvalidStateError(`cannot revert a VM that is ${vm.status}`, { currentStatus: vm.status, action: 'revert' });
      }
      // A volume being attached or detached would lose the VBD the revert puts back, or find it gone.
      for (const v of await this.volumes.listForVm(tenantId, vm.id, tx)) {
        if (v.status !== 'in-use')
          throw new OperationInProgressError({ type: 'volume', id: v.id }, await this.operations.findActiveFor(tx, tenantId, v.id));
      }
      const operationId = randomUUID();
      const operation = await this.launcher.launch(tx, tenantId, JobName.SnapshotRevert, { type: 'vm', id: vm.id }, meta, operationId);
      const sizes = await this.resizer.record(
        tx,
        vm,
        {
          flavorId: snapshot.flavorId ?? vm.flavorId,
          vcpus: snapshot.vcpus!,
          memoryMiB: snapshot.memoryMiB!,
          diskGiB: snapshot.diskGiB!,
          // VM.revert copies VCPUs_max and memory_static_max back too
          liveMax: { vcpus: snapshot.liveMaxVcpus ?? snapshot.vcpus!, memoryMiB: snapshot.liveMaxMemoryMiB ?? snapshot.memoryMiB! },
        },
        operationId,
      );
      await this.operations.checkpoint(tx, tenantId, operationId, 'accepted', { snapshotId: id });
      await this.snapshots.update(tx, tenantId, id, { status: 'reverting' });
      return { snapshot: { ...snapshot, status: 'reverting' }, operation, vm: await this.details.one({ ...vm, ...sizes }, tx) };
    });
  }

  /** Refused while it is being made, reverted to or deleted; the quota comes back once the pool no longer has it. */
  remove(tenantId: string, id: string, meta: RequestMeta): Promise<Accepted> {
    return this.ds.transaction(async (tx) => {
      const snapshot = await this.snapshots.findForUpdate(tx, tenantId, id);
      if (!snapshot || snapshot.status === 'deleted') throw new NotFoundError('snapshot', id);
      const subject = snapshot.vmId ?? snapshot.volumeId!;
      if (snapshot.status === 'reverting') {
        const active = await this.operations.findActiveFor(tx, tenantId, subject);
        throw new InUseError(`snapshot ${id} is being reverted to`, { operations: active ? [active.id] : [] });
      }
      const restoring = await this.volumes.restoringFrom(tx, tenantId, id);
      if (restoring.length) throw new InUseError(`volumes are being restored from snapshot ${id}`, { volumes: restoring.map((v) => v.id) });
      if (snapshot.status === 'pending') {
        throw new OperationInProgressError({ type: 'snapshot', id }, await this.operations.findActiveFor(tx, tenantId, subject));
      }
      if (snapshot.status !== 'available' && snapshot.status !== 'error') {
        throw new OperationInProgressError({ type: 'snapshot', id }, await this.operations.findActiveFor(tx, tenantId, id));
      }
      const operation = await this.launcher.launch(tx, tenantId, JobName.SnapshotDelete, { type: 'snapshot', id }, meta);
      await this.snapshots.update(tx, tenantId, id, { status: 'deleting' });
      return { snapshot: { ...snapshot, status: 'deleting' }, operation };
    });
  }
}
