import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  JobName,
  LOGGER,
  OperationRepository,
  SnapshotRepository,
  VmRepository,
  VolumeRepository,
  caught,
  type SnapshotEntity,
} from '@xenplane/core';
import { ResourceLifecycle } from '@xenplane/tenancy';
import type { Handle, XapiStorage } from '@xenplane/xapi-driver';
import { SagaError, type JobFailure } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { locateVm } from '../vms/vm-locator.js';
import { SnapshotOperationHandler, type SnapshotContext } from './snapshot-operation.handler.js';
import { SNAPSHOT_VDI_KEY, snapshotMarker } from './snapshot-markers.js';
import { destroySnapshotOnPool, findSnapshotOnPool } from './snapshot-on-pool.js';

/**
 * snapshot.create: VM.snapshot of the VM's boot disk alone (volumes and the config drive are ignore_vdis), named with
 * our marker so a retry finds it; or VDI.snapshot of a volume, marked with our id right after (a retry adopts an
 * unmarked snapshot of the volume taken during this operation: only one operation runs on a volume at a time).
 */
@Injectable()
@HandlesJobs(JobName.SnapshotCreate)
export class CreateSnapshotHandler extends SnapshotOperationHandler<string> {
  constructor(
    @InjectDataSource() ds: DataSource,
    snapshots: SnapshotRepository,
    operations: OperationRepository,
    lifecycle: ResourceLifecycle,
    private readonly vms: VmRepository,
    private readonly volumes: VolumeRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super(ds, snapshots, operations, lifecycle);
  }

  /** Answers the snapshot's XAPI uuid. */
  async run(ctx: SnapshotContext): Promise<string> {
    const { resource: snapshot } = ctx;
    const storage = await this.storage(ctx);
    const found = await findSnapshotOnPool(storage, snapshot, await this.volumeVdi(storage, snapshot));
    if (found) return found.uuid;
    return snapshot.vmId ? this.snapshotVm(ctx, storage, snapshot) : this.snapshotVolume(ctx, storage, snapshot);
  }

  private async snapshotVm(ctx: SnapshotContext, storage: XapiStorage, snapshot: SnapshotEntity): Promise<string> {
    const vm = await this.vms.find(snapshot.tenantId, snapshot.vmId!);
    const handle = vm ? await locateVm(await ctx.xapi(), vm) : null;
    if (!handle) throw new SagaError('vanished', 'the VM no longer exists on the pool');
    const ignore = await storage.diskVdisBesidesRoot(handle.ref);
    return (await storage.snapshotVm(handle.ref, snapshotMarker(snapshot.id), ignore)).uuid;
  }

  private async snapshotVolume(ctx: SnapshotContext, storage: XapiStorage, snapshot: SnapshotEntity): Promise<string> {
    const vdi = await this.volumeVdi(storage, snapshot);
    if (!vdi) throw new SagaError('vanished', 'the volume no longer exists on the pool');
    // A snapshot an earlier attempt took but could not mark: taken during this operation, so it is this one's.
    const since = ctx.operation.createdAt.getTime() - 1000;
    const unmarked = (await storage.vdiSnapshots(vdi.ref)).find((s) => !s.otherConfig[SNAPSHOT_VDI_KEY] && s.time.getTime() >= since);
    const made = unmarked ?? (await storage.snapshotVdi(vdi.ref));
    await storage.setVdiOtherConfig(made.ref, SNAPSHOT_VDI_KEY, snapshot.id);
    return made.uuid;
  }

  private async volumeVdi(storage: XapiStorage, snapshot: SnapshotEntity): Promise<Handle | null> {
    if (!snapshot.volumeId) return null;
    const volume = await this.volumes.find(snapshot.tenantId, snapshot.volumeId);
    const ref = volume?.xapiUuid ? await storage.refByUuid('VDI', volume.xapiUuid) : null;
    return ref ? { ref, uuid: volume!.xapiUuid! } : null;
  }

  async succeed({ resource: snapshot, operation }: SnapshotContext, xapiUuid: string): Promise<void> {
    await this.ds.transaction(async (tx) => {
      await this.lifecycle.apply(tx, this.target(snapshot), 'made', {
        patch: { status: 'available', xapiUuid, errorReason: null },
        operationId: operation.id,
      });
      await this.operations.succeed(tx, snapshot.tenantId, operation.id);
    });
  }

  /** A failed create leaves nothing on the pool and gives its quota back; unknown (pool unreachable) keeps it until a delete. */
  async fail(ctx: SnapshotContext, failure: JobFailure): Promise<void> {
    const { resource: snapshot, operation } = ctx;
    const unknown = caught(this.logger, 'failed snapshot create: look for what it made', undefined, { snapshotId: snapshot.id });
    const storage = await this.storage(ctx).catch(unknown);
    const vdi = storage ? await this.volumeVdi(storage, snapshot).catch(unknown) : undefined;
    // A compensation that fails throws: the job retries its failure, so nothing is left behind.
    const gone = storage && vdi !== undefined ? await destroySnapshotOnPool(storage, snapshot, vdi, { unmarkedSince: operation.createdAt }) : false;
    await this.ds.transaction(async (tx) => {
      const patch = { status: 'error', errorReason: failure.code };
      await this.lifecycle.apply(tx, this.target(snapshot), gone ? 'gone' : 'unconfirmed', { patch, operationId: operation.id });
      await this.operations.fail(tx, snapshot.tenantId, operation.id, failure.code, failure.detail);
    });
  }
}
