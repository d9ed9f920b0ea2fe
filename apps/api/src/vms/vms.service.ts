import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  ACTION_JOB,
  DomainError,
  InvalidStateError,
  JobName,
  NotFoundError,
  OperationLauncher,
  OperationRepository,
  PoolRepository,
  PoolTemplateRepository,
  VmRepository,
  isActionAllowed,
  type OperationEntity,
  type ListFilter,
  type Page,
  type PageRequest,
  type RequestMeta,
  type VmAction,
} from '@xenplane/core';
import { QuotaService, TenantAccessService, vmFootprint } from '@xenplane/tenancy';
import { CatalogAccess } from '../catalog/catalog-access.service.js';
import { NicAllocator } from './nic-allocator.service.js';
import { VmDetails, type VmWithNics } from './vm-details.service.js';
import type { CreateVmDto } from './vm.dto.js';
import { VmBootstrapService } from './vm-bootstrap.service.js';

const GiB = 1024 ** 3;

export type { VmWithNics };

/** VM rules: what may be created and when an action is allowed; every change is recorded with its operation. */
@Injectable()
export class VmsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly vms: VmRepository,
    private readonly catalog: CatalogAccess,
    private readonly pools: PoolRepository,
    private readonly launcher: OperationLauncher,
    private readonly quota: QuotaService,
    private readonly operations: OperationRepository,
    private readonly details: VmDetails,
    private readonly nicAllocator: NicAllocator,
    private readonly tenants: TenantAccessService,
    private readonly templates: PoolTemplateRepository,
    private readonly bootstrap: VmBootstrapService,
  ) {}

  async create(tenantId: string, dto: CreateVmDto, meta: RequestMeta): Promise<{ vm: VmWithNics; operation: OperationEntity }> {
    const flavor = await this.catalog.flavor(tenantId, dto.flavorId);
    const image = await this.catalog.image(tenantId, dto.imageId);
    const pool = await this.pools.findDefault();
    if (!pool) throw new DomainError('unavailable', 'no XAPI pool is registered');
    this.bootstrap.precheck(dto);
    const size = { vcpus: flavor.vcpus, memoryMiB: flavor.memoryMiB, diskGiB: dto.diskGiB ?? flavor.diskGiB };
    await this.assertDiskFits(pool.id, image.template, size.diskGiB, dto.diskGiB === undefined ? 'flavorId' : 'diskGiB');
    const [vmId, operationId] = [randomUUID(), randomUUID()];
    return this.ds.transaction(async (tx) => {
      await this.tenants.holdActive(tx, tenantId);
      await this.catalog.hold(tx, tenantId, { flavorId: flavor.id, imageId: image.id });
      // Networks before quota, the lock order a network delete also takes, so the two cannot deadlock.
      const networks = await this.nicAllocator.lockNetworks(tx, tenantId, dto.networkIds ?? []);
      // Charged in the transaction that records the VM, from the sizes the row will hold: both commit or neither.
      await this.quota.charge(tx, tenantId, vmFootprint(size), { resourceId: vmId, operationId });
      const vm = await this.vms.insert(tx, {
        id: vmId,
        tenantId,
        name: dto.name,
        flavorId: flavor.id,
        imageId: image.id,
        poolId: pool.id,
        status: 'pending',
        ...size,
        xapiUuid: null,
        hostUuid: null,
        powerState: null,
        errorReason: null,
      });
      const nics = await this.nicAllocator.allocate(tx, tenantId, vm.id, networks);
      const bootstrap = await this.bootstrap.record(tx, tenantId, vm.id, vm.name, dto);
      const operation = await this.launcher.launch(tx, tenantId, JobName.VmCreate, { type: 'vm', id: vm.id }, meta, operationId);
      return { vm: { ...vm, nics, hostId: null, bootstrap }, operation };
    });
  }

  /**
   * Disks never shrink: a clone keeps its template's boot disk, so a smaller size would be charged and billed below
   * what the VM really has. Refused when the pool has shown the template; the worker checks it again after the clone.
   */
  private async assertDiskFits(poolId: string, template: string, diskGiB: number, path: 'diskGiB' | 'flavorId'): Promise<void> {
    const bytes = await this.templates.rootDiskBytes(poolId, template);
    const minDiskGiB = bytes === null ? 0 : Math.ceil(bytes / GiB);
    if (diskGiB >= minDiskGiB) return;
    const message = `the image's template has a ${minDiskGiB} GiB disk; ${path === 'diskGiB' ? 'diskGiB' : "the flavor's diskGiB"} (${diskGiB}) is smaller`;
    throw new DomainError('disk_below_template', message, { minDiskGiB, errors: [{ path, message }] });
  }

  async get(tenantId: string, id: string): Promise<VmWithNics> {
    const vm = await this.vms.find(tenantId, id);
    if (!vm) throw new NotFoundError('vm', id);
    return this.details.one(vm);
  }

  /** One tenant's VMs, or every tenant's (`tenantId` null: operators only, the controller decides). */
  async list(tenantId: string | null, page: PageRequest, filter: ListFilter): Promise<Page<VmWithNics>> {
    const found = tenantId === null ? await this.vms.listAllTenants(page, filter) : await this.vms.list(tenantId, page, filter);
    return { items: await this.details.of(found.items), nextCursor: found.nextCursor };
  }

  /** Checks the action against the state machine under the VM's row lock, then records its operation. */
  async act(tenantId: string, id: string, action: VmAction, meta: RequestMeta): Promise<{ vm: VmWithNics; operation: OperationEntity }> {
    return this.ds.transaction(async (tx) => {
      const vm = await this.vms.findForUpdate(tx, tenantId, id);
      if (!vm) throw new NotFoundError('vm', id);
      if (!isActionAllowed(vm.status, action)) {
        throw new InvalidStateError(`cannot ${action} a VM that is ${vm.status}`, { currentStatus: vm.status, action });
      }
      const operation = await this.launcher.launch(tx, tenantId, ACTION_JOB[action], { type: 'vm', id }, meta);
      if (action === 'delete') {
        await this.vms.update(tx, tenantId, id, { status: 'deleting' });
        vm.status = 'deleting';
      }
      return { vm: await this.details.one(vm, tx), operation };
    });
  }

  /** Charges the growth (or gives back the shrink) now, with the new sizes on the row; the worker applies them. */
  async resize(tenantId: string, id: string, flavorId: string, meta: RequestMeta): Promise<{ vm: VmWithNics; operation: OperationEntity }> {
    const flavor = await this.catalog.flavor(tenantId, flavorId);
    return this.ds.transaction(async (tx) => {
      await this.catalog.hold(tx, tenantId, { flavorId });
      const vm = await this.vms.findForUpdate(tx, tenantId, id);
      if (!vm) throw new NotFoundError('vm', id);
      if (!isActionAllowed(vm.status, 'resize')) {
        throw new InvalidStateError(`cannot resize a VM that is ${vm.status}`, { currentStatus: vm.status, action: 'resize' });
      }
      const operationId = randomUUID();
      await this.quota.charge(
        tx,
        tenantId,
        { vcpus: flavor.vcpus - vm.vcpus, memoryMiB: flavor.memoryMiB - vm.memoryMiB },
        { resourceId: id, operationId },
      );
      const operation = await this.launcher.launch(tx, tenantId, JobName.VmResize, { type: 'vm', id }, meta, operationId);
      // What a failed resize goes back to.
      const previous = { vcpus: vm.vcpus, memoryMiB: vm.memoryMiB, flavorId: vm.flavorId };
      await this.operations.checkpoint(tx, tenantId, operationId, 'accepted', { previous });
      const sizes = { vcpus: flavor.vcpus, memoryMiB: flavor.memoryMiB, flavorId: flavor.id };
      await this.vms.update(tx, tenantId, id, sizes);
      return { vm: await this.details.one({ ...vm, ...sizes }, tx), operation };
    });
  }
}
