import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  ACTION_JOB, DomainError, FlavorRepository, ImageRepository, InvalidStateError, JobName, NotFoundError, OperationLauncher,
  PoolRepository, VmRepository, isActionAllowed, type OperationEntity, type Page, type PageRequest, type VmAction, type VmEntity,
} from '@xenplane/core';
import type { CreateVmDto } from './vm.dto.js';

function unknownReference(path: string, what: string): DomainError {
  return new DomainError('validation_failed', `${path}: no such ${what}`, { errors: [{ path, message: `no such ${what}` }] });
}

/** VM rules: what may be created and when an action is allowed; every change is recorded with its operation. */
@Injectable()
export class VmsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly vms: VmRepository,
    private readonly flavors: FlavorRepository,
    private readonly images: ImageRepository,
    private readonly pools: PoolRepository,
    private readonly launcher: OperationLauncher,
  ) {}

  async create(tenantId: string, dto: CreateVmDto): Promise<{ vm: VmEntity; operation: OperationEntity }> {
    const [flavor, image, pool] = await Promise.all([this.flavors.find(dto.flavorId), this.images.find(dto.imageId), this.pools.findDefault()]);
    if (!flavor) throw unknownReference('flavorId', 'flavor');
    if (!image) throw unknownReference('imageId', 'image');
    // Tenant networks arrive with libs/network; until then no network id can name one of the tenant's.
    const firstNetwork = dto.networkIds?.[0];
    if (firstNetwork) throw unknownReference('networkIds.0', 'network');
    if (!pool) throw new DomainError('unavailable', 'no XAPI pool is registered');
    return this.ds.transaction(async (tx) => {
      const vm = await this.vms.insert(tx, {
        id: randomUUID(), tenantId, name: dto.name, flavorId: flavor.id, imageId: image.id, poolId: pool.id, status: 'pending',
        vcpus: flavor.vcpus, memoryMiB: flavor.memoryMiB, diskGiB: dto.diskGiB ?? flavor.diskGiB,
        xapiUuid: null, hostUuid: null, powerState: null, errorReason: null,
      });
      const operation = await this.launcher.launch(tx, tenantId, JobName.VmCreate, { type: 'vm', id: vm.id });
      return { vm, operation };
    });
  }

  async get(tenantId: string, id: string): Promise<VmEntity> {
    const vm = await this.vms.find(tenantId, id);
    if (!vm) throw new NotFoundError('vm', id);
    return vm;
  }

  list(tenantId: string, page: PageRequest): Promise<Page<VmEntity>> {
    return this.vms.list(tenantId, page);
  }

  /** Checks the action against the state machine under the VM's row lock, then records its operation. */
  async act(tenantId: string, id: string, action: VmAction): Promise<{ vm: VmEntity; operation: OperationEntity }> {
    return this.ds.transaction(async (tx) => {
      const vm = await this.vms.findForUpdate(tenantId, id, tx);
      if (!vm) throw new NotFoundError('vm', id);
      if (!isActionAllowed(vm.status, action)) {
        throw new InvalidStateError(`cannot ${action} a VM that is ${vm.status}`, { currentStatus: vm.status, action });
      }
      const operation = await this.launcher.launch(tx, tenantId, ACTION_JOB[action], { type: 'vm', id });
      if (action === 'delete') {
        await this.vms.update(tenantId, id, { status: 'deleting' }, tx);
        vm.status = 'deleting';
      }
      return { vm, operation };
    });
  }
}
