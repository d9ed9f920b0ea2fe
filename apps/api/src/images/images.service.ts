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
  ImageRepository,
  VmRepository,
  isUniqueViolation,
  type ImageEntity,
  type OperationEntity,
  type RequestMeta,
} from '@xenplane/core';
import { QuotaService, ResourceLifecycle, TenantAccessService, imageFootprint } from '@xenplane/tenancy';

export type ImageAccepted = { image: ImageEntity; operation: OperationEntity };

export interface NewOwnImage {
  name: string;
  template: string;
  configDrive?: 'nocloud' | 'config-2';
}

async function uniquely<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err)) throw new NameTakenError('image', name);
    throw err;
  }
}

/**
 * A tenant's own images: private (404 to other tenants), with a golden disk the worker makes from an upload or from
 * a stopped VM's boot disk. imageGiB is charged in the transaction that accepts the disk, released when it is gone.
 */
@Injectable()
export class ImagesService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly images: ImageRepository,
    private readonly vms: VmRepository,
    private readonly operations: OperationRepository,
    private readonly launcher: OperationLauncher,
    private readonly quota: QuotaService,
    private readonly lifecycle: ResourceLifecycle,
    private readonly tenants: TenantAccessService,
  ) {}

  /** A queued private image: its disk comes with PUT /v1/images/:id/file. */
  create(tenantId: string, dto: NewOwnImage): Promise<ImageEntity> {
    return this.ds.transaction(async (tx) => {
      await this.tenants.holdActive(tx, tenantId);
      const row = { id: randomUUID(), name: dto.name, template: dto.template, configDrive: dto.configDrive ?? 'nocloud' };
      const owned = {
        tenantId,
        visibility: 'private' as const,
        source: 'upload' as const,
        status: 'queued' as const,
        presence: 'requested' as const,
      };
      return uniquely(dto.name, () => this.images.insert(tx, { ...row, ...owned }));
    });
  }

  /** An image of a stopped VM's boot disk (409 otherwise): charged at the VM's disk size now; the worker copies the disk. */
  capture(tenantId: string, vmId: string, name: string, meta: RequestMeta): Promise<ImageAccepted> {
    return this.ds.transaction(async (tx) => {
      await this.tenants.holdActive(tx, tenantId);
      const vm = await this.vms.findForUpdate(tx, tenantId, vmId);
      if (!vm || vm.status === 'deleted') throw new NotFoundError('vm', vmId);
      if (vm.status !== 'stopped') {
        throw new InvalidStateError(`an image is made from a stopped VM; VM ${vmId} is ${vm.status}`, { currentStatus: vm.status, action: 'image' });
      }
      await this.assertIdle(tx, tenantId, vmId, 'vm');
      const source = await this.images.find(vm.imageId, null, tx);
      const [id, operationId] = [randomUUID(), randomUUID()];
      const image = await uniquely(name, () =>
        this.images.insert(tx, {
          id,
          name,
          template: source?.template ?? '',
          configDrive: source?.configDrive ?? 'nocloud',
          tenantId,
          visibility: 'private',
          source: 'vm',
          status: 'saving',
          presence: 'requested',
          poolId: vm.poolId,
          sourceVmId: vm.id,
          sizeGiB: vm.diskGiB,
        }),
      );
      await this.quota.charge(tx, tenantId, imageFootprint(image), { resourceId: id, operationId });
      // The VM is the operation's resource: nothing starts, resizes or deletes it while its disk is copied.
      const operation = await this.launcher.launch(tx, tenantId, JobName.ImageCapture, { type: 'vm', id: vm.id }, meta, operationId);
      await this.operations.checkpoint(tx, tenantId, operationId, 'accepted', { imageId: id });
      return { image, operation };
    });
  }

  /**
   * A tenant deletes its own image: one without a disk goes at once (null: 204), one with a disk through the worker
   * (202); refused while a live VM uses it (409 in_use).
   */
  remove(tenantId: string, id: string, meta: RequestMeta): Promise<ImageAccepted | null> {
    return this.ds.transaction(async (tx) => {
      const image = await this.images.findOwnedForUpdate(tx, tenantId, id);
      if (!image) throw new NotFoundError('image', id);
      if (image.status === 'deleted') return null;
      await this.assertIdle(tx, tenantId, id, 'image');
      if (image.status === 'saving' || image.status === 'deleting') {
        throw new InvalidStateError(`cannot delete an image that is ${image.status}`, { currentStatus: image.status, action: 'delete' });
      }
      const usage = await this.images.usage(tx, id);
      if (usage.count > 0) {
        throw new InUseError(`image ${id} is used by ${usage.count} VM(s)`, { vms: usage.vmIds }, { count: usage.count, vmIds: usage.vmIds });
      }
      if (image.presence !== 'present' && image.presence !== 'unconfirmed') {
        await this.lifecycle.apply(tx, { kind: 'image', tenantId, id }, 'gone', { patch: { status: 'deleted' }, operationId: randomUUID() });
        return null;
      }
      const operation = await this.launcher.launch(tx, tenantId, JobName.ImageDelete, { type: 'image', id }, meta);
      await this.images.patch(tx, tenantId, id, { status: 'deleting' });
      return { image: { ...image, status: 'deleting' }, operation };
    });
  }

  /** The tenant's own image (operators' and others' are 404 here: only an owner uploads or downloads). */
  async owned(tenantId: string, id: string): Promise<ImageEntity> {
    const image = await this.images.findOwned(tenantId, id);
    if (!image || image.status === 'deleted') throw new NotFoundError('image', id);
    return image;
  }

  async assertIdle(tx: EntityManager, tenantId: string, resourceId: string, what: string): Promise<void> {
    const active = await this.operations.findActiveFor(tx, tenantId, resourceId);
    if (active) throw new OperationInProgressError({ type: what, id: resourceId }, active);
  }
}

/** Why an image cannot be read back or used yet. */
export function notReady(image: ImageEntity): DomainError {
  return new DomainError('image_not_ready', `image ${image.name} is ${image.status}: it has no disk to use yet`, { currentStatus: image.status });
}
