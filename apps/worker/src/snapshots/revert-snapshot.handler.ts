import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import {
  JobName,
  LOGGER,
  OperationRepository,
  SnapshotRepository,
  VmNicRepository,
  VmRepository,
  caught,
  type SnapshotEntity,
  type VmEntity,
} from '@xenplane/core';
import { ResourceLifecycle } from '@xenplane/tenancy';
import { XapiStorage } from '@xenplane/xapi-driver';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { SagaError, type JobFailure } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { ConfigDriveService } from '../vms/config-drive.service.js';
import { locateVm } from '../vms/vm-locator.js';
import { dropUnknownVifs, plugNics } from '../vms/vm-nics.js';
import type { VmContext } from '../vms/vm-operation.handler.js';
import { VmOutcomeService } from '../vms/vm-outcome.service.js';
import { SnapshotOperationHandler, type SnapshotContext } from './snapshot-operation.handler.js';
import { findSnapshotOnPool } from './snapshot-on-pool.js';
import { VolumeReattacher } from './volume-reattacher.js';

const MIB = 1024 * 1024;
// The saga's checkpoints after the API's 'accepted', in order.
const STEPS = ['stopping', 'reverted', 'nics', 'started'] as const;
const reached = (step: string | null, of: (typeof STEPS)[number]) => STEPS.indexOf(step as never) >= STEPS.indexOf(of);

/**
 * snapshot.revert as a saga on the VM: note whether it runs, stop it, VM.revert (a new boot disk cloned from the
 * snapshot's, VIFs re-created with their MACs, sizes copied back), put back what xapi took off (volumes' VBDs, the
 * config drive, each NIC's address, checked by MAC), start it again if it ran. The row already holds the snapshot's
 * sizes (the API charged them as a resize); the outcome bills them, or a failure gives them back unless the pool has them.
 */
@Injectable()
@HandlesJobs(JobName.SnapshotRevert)
export class RevertSnapshotHandler extends SnapshotOperationHandler {
  constructor(
    @InjectDataSource() ds: DataSource,
    snapshots: SnapshotRepository,
    operations: OperationRepository,
    lifecycle: ResourceLifecycle,
    private readonly vms: VmRepository,
    private readonly nics: VmNicRepository,
    private readonly outcome: VmOutcomeService,
    private readonly drives: ConfigDriveService,
    private readonly reattacher: VolumeReattacher,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super(ds, snapshots, operations, lifecycle);
  }

  async run(ctx: SnapshotContext): Promise<void> {
    const { resource: snapshot, operation } = ctx;
    const { tenantId } = snapshot;
    const vm = await this.vm(snapshot);
    const pool = await ctx.xapi();
    const storage = new XapiStorage(pool.client);
    const handle = await locateVm(pool, vm);
    if (!handle) throw new SagaError('vanished', 'the VM no longer exists on the pool');
    const snap = await findSnapshotOnPool(storage, snapshot, null);
    if (!snap) throw new SagaError('snapshot_vanished', 'the snapshot no longer exists on the pool');
    let wasRunning = operation.checkpoint.wasRunning as boolean | undefined;
    if (wasRunning === undefined) {
      // Kept before the stop: a retry after it must still know to start the VM again.
      wasRunning = (await pool.getVm(handle.ref)).power_state === 'Running';
      await this.operations.checkpoint(this.ds.manager, tenantId, operation.id, 'stopping', { wasRunning });
    }
    if (!reached(operation.step, 'reverted')) {
      await pool.shutdownVm(handle.ref, { cleanTimeoutMs: this.config.VM_CLEAN_SHUTDOWN_TIMEOUT_MS });
      // Repeating it after a crash is harmless: the disk is cloned from the same snapshot again.
      await storage.revertVm(snap.ref);
      await this.operations.checkpoint(this.ds.manager, tenantId, operation.id, 'reverted', {});
    }
    // xapi destroyed every VBD: the volumes (left out of the snapshot) and the config drive go back on.
    await this.reattacher.reattach(storage, vm, handle.ref);
    // NICs are the rows' as they are now: one removed since the snapshot goes, one added since comes back.
    await dropUnknownVifs(pool, this.nics, { tenantId, id: vm.id, ref: handle.ref });
    const vifs = await plugNics(pool, this.nics, { tenantId, id: vm.id, ref: handle.ref }, { reread: true });
    await this.operations.checkpoint(this.ds.manager, tenantId, operation.id, 'nics', { vifs });
    await this.drives.ensure(pool, vm, handle.ref);
    if (wasRunning) await pool.startVm(handle.ref);
    await this.operations.checkpoint(this.ds.manager, tenantId, operation.id, 'started', {});
  }

  async succeed(ctx: SnapshotContext): Promise<void> {
    const { resource: snapshot } = ctx;
    await this.outcome.succeeded(await this.vmContext(ctx), {
      alongside: (tx) => this.snapshots.update(tx, snapshot.tenantId, snapshot.id, { status: 'available', errorReason: null }),
    });
  }

  async fail(ctx: SnapshotContext, failure: JobFailure): Promise<void> {
    const { resource: snapshot } = ctx;
    const vmCtx = await this.vmContext(ctx).catch(() => null);
    if (!vmCtx) {
      // The VM's row is gone (deleted meanwhile): only the operation and the snapshot have an outcome.
      await this.ds.transaction(async (tx) => {
        await this.snapshots.update(tx, snapshot.tenantId, snapshot.id, { status: 'available', errorReason: failure.code });
        await this.operations.fail(tx, snapshot.tenantId, ctx.operation.id, failure.code, failure.detail);
      });
      return;
    }
    const latest = (await this.operations.find(snapshot.tenantId, ctx.operation.id)) ?? ctx.operation;
    // What the VM is sized at now: the snapshot's once VM.revert copied its fields back, else what it was.
    const keepSizes = reached(latest.step, 'reverted') || (await this.poolHasSnapshotSizes(vmCtx, snapshot));
    await this.outcome.failed({ ...vmCtx, operation: latest }, failure, {
      keepSizes,
      alongside: (tx) => this.snapshots.update(tx, snapshot.tenantId, snapshot.id, { status: 'available', errorReason: failure.code }),
    });
  }

  private async vm(snapshot: SnapshotEntity): Promise<VmEntity> {
    const vm = snapshot.vmId ? await this.vms.find(snapshot.tenantId, snapshot.vmId) : null;
    if (!vm) throw new SagaError('vanished', `VM ${snapshot.vmId} no longer exists`);
    return vm;
  }

  private async vmContext(ctx: SnapshotContext): Promise<VmContext> {
    return { ...ctx, resource: await this.vm(ctx.resource) };
  }

  private async poolHasSnapshotSizes(ctx: VmContext, snapshot: SnapshotEntity): Promise<boolean> {
    const look = async () => {
      const handle = await locateVm(await ctx.xapi(), ctx.resource);
      const r = handle ? await (await ctx.xapi()).getVm(handle.ref) : null;
      return r !== null && r.VCPUs_at_startup === snapshot.vcpus && r.memory_dynamic_max === snapshot.memoryMiB! * MIB;
    };
    return look().catch(caught(this.logger, 'failed revert: read the VM sizes', false, { snapshotId: snapshot.id }));
  }
}
