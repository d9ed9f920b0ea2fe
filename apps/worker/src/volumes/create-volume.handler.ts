import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { JobName, LOGGER, OperationRepository, VolumeRepository, VolumeTypeRepository, caught } from '@xenplane/core';
import { VOLUME_VDI_KEY, isXapiError } from '@xenplane/xapi-driver';
import { ResourceLifecycle } from '@xenplane/tenancy';
import { SagaError, type JobFailure } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { GiB, VolumeOperationHandler, type VolumeContext } from './volume-operation.handler.js';

/** volume.create: the VDI on the type's SR (found again by our id if an earlier attempt made it), then the row. */
@Injectable()
@HandlesJobs(JobName.VolumeCreate)
export class CreateVolumeHandler extends VolumeOperationHandler<string> {
  constructor(
    @InjectDataSource() ds: DataSource,
    volumes: VolumeRepository,
    operations: OperationRepository,
    lifecycle: ResourceLifecycle,
    private readonly types: VolumeTypeRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super(ds, volumes, operations, lifecycle);
  }

  /** Answers the VDI's uuid. */
  async run(ctx: VolumeContext): Promise<string> {
    const { resource: volume } = ctx;
    const storage = await this.storage(ctx);
    const found = await storage.findVdiByOtherConfig(VOLUME_VDI_KEY, volume.id);
    if (found) return found.uuid;
    const type = volume.typeId ? await this.types.find(volume.typeId) : null;
    const sr = await storage.resolveSr(type?.srUuid ?? null).catch((e: unknown) => {
      // The operator's type names an SR the pool no longer (or never) had.
      if (isXapiError(e, 'UUID_INVALID'))
        throw new SagaError('no_storage', `volume type ${type?.name} names SR ${type?.srUuid}, which the pool does not have`);
      throw e;
    });
    const bytes = volume.sizeGiB * GiB;
    if (sr.freeBytes < bytes) throw new SagaError('no_storage', `the SR has ${sr.freeBytes} bytes free, the volume needs ${bytes}`);
    const made = await storage.createVdi({
      srRef: sr.ref,
      nameLabel: `xenplane-${volume.name}`,
      virtualSize: bytes,
      otherConfig: { [VOLUME_VDI_KEY]: volume.id },
    });
    return made.uuid;
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
