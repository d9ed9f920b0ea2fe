import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { JobName, OperationRepository, SnapshotRepository, VolumeRepository } from '@xenplane/core';
import { ResourceLifecycle } from '@xenplane/tenancy';
import type { JobFailure } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { SnapshotOperationHandler, type SnapshotContext } from './snapshot-operation.handler.js';
import { destroySnapshotOnPool } from './snapshot-on-pool.js';

/** snapshot.delete: the snapshot VM and its disks (or the volume's snapshot VDI) go, then the row and its quota together. */
@Injectable()
@HandlesJobs(JobName.SnapshotDelete)
export class DeleteSnapshotHandler extends SnapshotOperationHandler {
  constructor(
    @InjectDataSource() ds: DataSource,
    snapshots: SnapshotRepository,
    operations: OperationRepository,
    lifecycle: ResourceLifecycle,
    private readonly volumes: VolumeRepository,
  ) {
    super(ds, snapshots, operations, lifecycle);
  }

  async run(ctx: SnapshotContext): Promise<void> {
    const { resource: snapshot } = ctx;
    const storage = await this.storage(ctx);
    const volume = snapshot.volumeId ? await this.volumes.find(snapshot.tenantId, snapshot.volumeId) : null;
    const ref = volume?.xapiUuid ? await storage.refByUuid('VDI', volume.xapiUuid) : null;
    await destroySnapshotOnPool(storage, snapshot, ref ? { ref, uuid: volume!.xapiUuid! } : null);
  }

  async succeed({ resource: snapshot, operation }: SnapshotContext): Promise<void> {
    await this.ds.transaction(async (tx) => {
      await this.lifecycle.apply(tx, this.target(snapshot), 'gone', { patch: { status: 'deleted' }, operationId: operation.id });
      await this.operations.succeed(tx, snapshot.tenantId, operation.id);
    });
  }

  /** A failed delete keeps the snapshot and its quota until a retry. */
  async fail({ resource: snapshot, operation }: SnapshotContext, failure: JobFailure): Promise<void> {
    await this.ds.transaction(async (tx) => {
      await this.snapshots.update(tx, snapshot.tenantId, snapshot.id, { status: 'error', errorReason: failure.code });
      await this.operations.fail(tx, snapshot.tenantId, operation.id, failure.code, failure.detail);
    });
  }
}
