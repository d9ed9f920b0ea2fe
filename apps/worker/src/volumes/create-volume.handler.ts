import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  JobName,
  LOGGER,
  OperationRepository,
  SnapshotRepository,
  VolumeRepository,
  VolumeTypeRepository,
  caught,
  type VolumeEntity,
} from '@xenplane/core';
import { VOLUME_VDI_KEY, isXapiError, type Handle, type XapiStorage } from '@xenplane/xapi-driver';
import { ResourceLifecycle } from '@xenplane/tenancy';
import { SagaError, type JobFailure } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { GiB, VolumeOperationHandler, type VolumeContext } from './volume-operation.handler.js';

/** other_config key set once a restored volume holds its snapshot's content. */
const RESTORED_KEY = 'xenplane-restored-from';

/**
 * volume.create: the VDI on the type's SR (found again by our id if an earlier attempt made it), for a restore the
 * snapshot's content copied in (VDI.copy into it: the volume's own VDI, marked from its creation), then the row.
 */
@Injectable()
@HandlesJobs(JobName.VolumeCreate)
export class CreateVolumeHandler extends VolumeOperationHandler<string> {
  constructor(
    @InjectDataSource() ds: DataSource,
    volumes: VolumeRepository,
    operations: OperationRepository,
    lifecycle: ResourceLifecycle,
    private readonly types: VolumeTypeRepository,
    private readonly snapshots: SnapshotRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super(ds, volumes, operations, lifecycle);
  }

  /** Answers the VDI's uuid. */
  async run(ctx: VolumeContext): Promise<string> {
    const { resource: volume } = ctx;
    const storage = await this.storage(ctx);
    const [found] = await storage.findVdisByOtherConfig(VOLUME_VDI_KEY, volume.id);
    const made = found ?? (await this.make(storage, volume));
    // A restore copies the snapshot in (again after a crash: VDI.copy into the same VDI), then marks it done.
    if (volume.sourceSnapshotId && found?.otherConfig[RESTORED_KEY] !== volume.sourceSnapshotId) {
      const snapshot = await this.snapshots.find(volume.tenantId, volume.sourceSnapshotId);
      const source = snapshot?.xapiUuid ? await storage.refByUuid('VDI', snapshot.xapiUuid) : null;
      if (!source) throw new SagaError('snapshot_vanished', `snapshot ${volume.sourceSnapshotId} is no longer on the pool`);
      await storage.copyVdi(source, { intoRef: made.ref });
      await storage.setVdiOtherConfig(made.ref, RESTORED_KEY, volume.sourceSnapshotId);
    }
    return made.uuid;
  }

  private async make(storage: XapiStorage, volume: VolumeEntity): Promise<Handle> {
    const type = volume.typeId ? await this.types.find(volume.typeId) : null;
    const sr = await storage.resolveSr(type?.srUuid ?? null).catch((e: unknown) => {
      // The operator's type names an SR the pool no longer (or never) had.
      if (isXapiError(e, 'UUID_INVALID'))
        throw new SagaError('no_storage', `volume type ${type?.name} names SR ${type?.srUuid}, which the pool does not have`);
      throw e;
    });
    const bytes = volume.sizeGiB * GiB;
    if (sr.freeBytes < bytes) throw new SagaError('no_storage', `the SR has ${sr.freeBytes} bytes free, the volume needs ${bytes}`);
    return storage.createVdi({
      srRef: sr.ref,
      nameLabel: `xenplane-${volume.name}`,
      virtualSize: bytes,
      otherConfig: { [VOLUME_VDI_KEY]: volume.id },
    });
  }

  async succeed({ resource: volume, operation }: VolumeContext, xapiUuid: string): Promise<void> {
    await this.ds.transaction(async (tx) => {
      await this.lifecycle.apply(tx, this.target(volume), 'made', { patch: { status: 'available', xapiUuid }, operationId: operation.id });
      await this.operations.succeed(tx, volume.tenantId, operation.id);
    });
  }

  /** A failed create leaves no VDI and gives its quota back; unknown (pool unreachable) keeps it until a delete. */
  async fail(ctx: VolumeContext, failure: JobFailure): Promise<void> {
    const { resource: volume, operation } = ctx;
    const unknown = caught(this.logger, 'failed volume create: look for the partial VDI', undefined, { volumeId: volume.id });
    const storage = await this.storage(ctx).catch(unknown);
    const partial = storage ? await storage.findVdiByOtherConfig(VOLUME_VDI_KEY, volume.id).catch(unknown) : undefined;
    const gone = partial
      ? await storage!.destroyVdi(partial.ref).then(
          () => true,
          () => false,
        )
      : partial === null;
    await this.ds.transaction(async (tx) => {
      const patch = { status: 'error', errorReason: failure.code };
      await this.lifecycle.apply(tx, this.target(volume), gone ? 'gone' : 'unconfirmed', { patch, operationId: operation.id });
      await this.operations.fail(tx, volume.tenantId, operation.id, failure.code, failure.detail);
    });
  }
}
