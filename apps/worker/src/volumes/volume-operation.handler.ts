import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { OperationRepository, VolumeRepository, type OperationEntity, type VolumeEntity } from '@xenplane/core';
import { XapiStorage, type Handle } from '@xenplane/xapi-driver';
import { ResourceLifecycle } from '@xenplane/tenancy';
import { SagaError, type JobFailure } from '../pipeline/job-failure.js';
import type { OperationContext, OperationHandler } from '../pipeline/operation-handler.js';

export type VolumeContext = OperationContext<VolumeEntity>;
export const GiB = 1024 ** 3;

/** What volume jobs share: the row they load, the pool's storage calls, and how the volume settles after an attach-side job. */
export abstract class VolumeOperationHandler<O = void> implements OperationHandler<VolumeEntity, O> {
  constructor(
    @InjectDataSource() protected readonly ds: DataSource,
    protected readonly volumes: VolumeRepository,
    protected readonly operations: OperationRepository,
    protected readonly lifecycle: ResourceLifecycle,
  ) {}

  load(operation: OperationEntity): Promise<VolumeEntity | null> {
    return this.volumes.find(operation.tenantId, operation.resourceId);
  }

  poolId(volume: VolumeEntity): string {
    return volume.poolId;
  }

  abstract run(ctx: VolumeContext): Promise<O>;
  abstract succeed(ctx: VolumeContext, result: O): Promise<void>;
  abstract fail(ctx: VolumeContext, failure: JobFailure): Promise<void>;

  protected async storage(ctx: VolumeContext): Promise<XapiStorage> {
    return new XapiStorage((await ctx.xapi()).client);
  }

  /** The volume's VDI; a volume whose VDI is gone cannot be attached, grown or detached. */
  protected async vdi(storage: XapiStorage, volume: VolumeEntity): Promise<Handle> {
    const ref = volume.xapiUuid ? await storage.client.call<string>('VDI.get_by_uuid', volume.xapiUuid).catch(() => null) : null;
    if (!ref) throw new SagaError('vanished', 'the volume no longer exists on the pool');
    return { ref, uuid: volume.xapiUuid! };
  }

  /** Where a settled volume rests: in use while it has a VM, else available. */
  protected settled(volume: Pick<VolumeEntity, 'vmId'>): 'in-use' | 'available' {
    return volume.vmId ? 'in-use' : 'available';
  }

  /** Ends the operation with the row patch, in one transaction. */
  protected async finish(ctx: VolumeContext, patch: Partial<VolumeEntity>, failure?: JobFailure): Promise<void> {
    const { resource: v, operation } = ctx;
    await this.ds.transaction(async (tx) => {
      await this.volumes.update(tx, v.tenantId, v.id, patch);
      if (failure) await this.operations.fail(tx, v.tenantId, operation.id, failure.code, failure.detail);
      else await this.operations.succeed(tx, v.tenantId, operation.id);
    });
  }

  protected target(volume: VolumeEntity) {
    return { kind: 'volume' as const, tenantId: volume.tenantId, id: volume.id };
  }
}
