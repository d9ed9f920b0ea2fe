import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { JobName, OperationRepository, SnapshotRepository, type OperationEntity, type SnapshotEntity } from '@xenplane/core';
import { ResourceLifecycle } from '@xenplane/tenancy';
import { XapiStorage } from '@xenplane/xapi-driver';
import type { JobFailure } from '../pipeline/job-failure.js';
import type { OperationContext, OperationHandler } from '../pipeline/operation-handler.js';

export type SnapshotContext = OperationContext<SnapshotEntity>;

/**
 * What snapshot jobs share: the snapshot row they work on. A create or revert runs on the VM or volume (one operation at a
 * time there) and names its snapshot in the checkpoint the API wrote with it; a delete runs on the snapshot itself.
 */
export abstract class SnapshotOperationHandler<O = void> implements OperationHandler<SnapshotEntity, O> {
  constructor(
    @InjectDataSource() protected readonly ds: DataSource,
    protected readonly snapshots: SnapshotRepository,
    protected readonly operations: OperationRepository,
    protected readonly lifecycle: ResourceLifecycle,
  ) {}

  load(operation: OperationEntity): Promise<SnapshotEntity | null> {
    const id = operation.kind === JobName.SnapshotDelete ? operation.resourceId : (operation.checkpoint.snapshotId as string | undefined);
    return id ? this.snapshots.find(operation.tenantId, id) : Promise.resolve(null);
  }

  poolId(snapshot: SnapshotEntity): string {
    return snapshot.poolId;
  }

  abstract run(ctx: SnapshotContext): Promise<O>;
  abstract succeed(ctx: SnapshotContext, result: O): Promise<void>;
  abstract fail(ctx: SnapshotContext, failure: JobFailure): Promise<void>;

  protected async storage(ctx: SnapshotContext): Promise<XapiStorage> {
    return new XapiStorage((await ctx.xapi()).client);
  }

  protected target(s: SnapshotEntity) {
    return { kind: 'snapshot' as const, tenantId: s.tenantId, id: s.id };
  }
}
