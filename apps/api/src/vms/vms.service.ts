import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  ACTION_JOB,
  DomainError,
  InvalidStateError,
  JobName,
  NotFoundError,
  OperationLauncher,
  OperationRepository,
  PoolTemplateRepository,
  VmRepository,
  isActionAllowed,
  type OperationEntity,
  type ListFilter,
  type Page,
  type PageRequest,
  type RequestMeta,
  type VmAction,
  type ImageEntity,
} from '@xenplane/core';
import { QuotaService, TenantAccessService, vmFootprint } from '@xenplane/tenancy';
import { CatalogAccess } from '../catalog/catalog-access.service.js';
import { NicAllocator } from './nic-allocator.service.js';
import { VmDetails, type VmWithNics } from './vm-details.service.js';
import type { CreateVmDto } from './vm.dto.js';
import { NicSecurityGroups } from '../security-groups/nic-security-groups.service.js';
import { VmBootstrapService } from './vm-bootstrap.service.js';
import { API_CONFIG, type ApiConfig } from '../config/api-env.js';
import { assertResizable, liveMaxFor } from './vm-sizing.js';
import { VmScheduler } from './vm-scheduler.service.js';
import { VmResizeRecorder } from './vm-resize.recorder.js';

const GiB = 1024 ** 3;

export type { VmWithNics };

/** VM rules: what may be created and when an action is allowed; every change is recorded with its operation. */
@Injectable()
export class VmsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly vms: VmRepository,
    private readonly catalog: CatalogAccess,
    private readonly launcher: OperationLauncher,
    private readonly quota: QuotaService,
    private readonly operations: OperationRepository,
    private readonly details: VmDetails,
    private readonly nicAllocator: NicAllocator,
    private readonly tenants: TenantAccessService,
    private readonly templates: PoolTemplateRepository,
    private readonly bootstrap: VmBootstrapService,
    private readonly scheduler: VmScheduler,
    private readonly resizer: VmResizeRecorder,
    private readonly nicGroups: NicSecurityGroups,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async create(tenantId: string, dto: CreateVmDto, meta: RequestMeta): Promise<{ vm: VmWithNics; operation: OperationEntity }> {
    this.bootstrap.precheck(dto);
    const [vmId, operationId] = [randomUUID(), randomUUID()];
    return this.ds.transaction(async (tx) => {
      await this.tenants.holdActive(tx, tenantId);
      // Read once, share-locked: what the tenant may use now stays so until this VM is recorded.
      const { flavor, image } = await this.catalog.hold(tx, tenantId, { flavorId: dto.flavorId, imageId: dto.imageId });
      const size = { vcpus: flavor.vcpus, memoryMiB: flavor.memoryMiB, diskGiB: dto.diskGiB ?? flavor.diskGiB };
      const liveMax = liveMaxFor(size, this.config.LIVE_RESIZE_HEADROOM);
      // Networks before quota, the lock order a network delete also takes, so the two cannot deadlock.
      const networks = await this.nicAllocator.lockTargets(tx, tenantId, dto.networkIds ?? []);
      // The pool (and a host claim) in this transaction: the claim is what the next placement into the group sees.
      const placed = await this.scheduler.place(
        tx,
        tenantId,
        { ...size, template: image.template },
        dto,
        networks.map((t) => t.network),
      );
      await this.assertDiskFits(tx, placed.poolId, image, size.diskGiB, dto.diskGiB === undefined ? 'flavorId' : 'diskGiB');
      const vm = await this.vms.insert(tx, {
        id: vmId,
        tenantId,
        name: dto.name,
        flavorId: flavor.id,
        imageId: image.id,
        poolId: placed.poolId,
        serverGroupId: dto.serverGroupId ?? null,
        placedHostId: placed.hostId,
        status: 'pending',
        ...size,
        liveMaxVcpus: liveMax.vcpus,
        liveMaxMemoryMiB: liveMax.memoryMiB,
        xapiUuid: null,
        hostUuid: null,
        powerState: null,
        errorReason: null,
        // Left out (or null), the flavor's restartOnHostFailure (tg_vms_restart_default).
        ...(dto.restart != null ? { restart: dto.restart } : {}),
      });
      const nics = await this.nicAllocator.allocate(tx, tenantId, vm.id, networks);
      // Named groups are exactly what its NICs now have; left out, each joined its tenant's default group (a trigger).
      const groupIds = await this.nicGroups.assign(
        tx,
        tenantId,
        vm.id,
        nics.map((n) => n.device),
        dto.securityGroupIds,
      );
      const bootstrap = await this.bootstrap.record(tx, tenantId, vm.id, vm.name, dto);
      const operation = await this.launcher.launch(tx, tenantId, JobName.VmCreate, { type: 'vm', id: vm.id }, meta, operationId, placed.decision);
      const joined = groupIds === null && nics.length > 0 ? await this.nicGroups.byNic([vm], tx) : null;
      const shown = nics.map((n) => ({ ...n, securityGroupIds: groupIds ?? joined?.get(`${n.vmId}/${n.device}`) ?? [] }));
      // Charged in the transaction that records the VM, from the sizes the row holds: both commit or neither. Last, so
      // the tenant's quota row is locked only for the commit (a herd of creates in one tenant queues on it).
      await this.quota.charge(tx, tenantId, vmFootprint(size, this.nicAllocator.publicIps(networks)), { resourceId: vmId, operationId });
      return {
        vm: { ...vm, nics: shown, hostId: null, bootstrap, operation: { id: operation.id, kind: operation.kind } },
        operation: { ...operation, placement: placed.decision },
      };
    });
  }

  /**
   * Disks never shrink: a clone keeps its template's boot disk, so a smaller size would be charged and billed below
   * what the VM really has. Refused when the pool has shown the template; the worker checks it again after the clone.
   */
  private async assertDiskFits(tx: EntityManager, poolId: string, image: ImageEntity, diskGiB: number, path: 'diskGiB' | 'flavorId'): Promise<void> {
    // An image of one's own boots from its disk; an operator's from its template's.
    const bytes = image.xapiUuid ? image.sizeBytes : await this.templates.rootDiskBytes(poolId, image.template, tx);
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

  /**
   * Charges the growth (or gives back the shrink) now, with the new sizes on the row; the worker applies them. What it
   * could not apply is refused here (assertResizable); a stopped VM gets new live maximums from its new size.
   */
  async resize(tenantId: string, id: string, flavorId: string, meta: RequestMeta): Promise<{ vm: VmWithNics; operation: OperationEntity }> {
    const flavor = await this.catalog.flavor(tenantId, flavorId);
    return this.ds.transaction(async (tx) => {
      await this.catalog.hold(tx, tenantId, { flavorId });
      const vm = await this.vms.findForUpdate(tx, tenantId, id);
      if (!vm) throw new NotFoundError('vm', id);
      if (!isActionAllowed(vm.status, 'resize')) {
        throw new InvalidStateError(`cannot resize a VM that is ${vm.status}`, { currentStatus: vm.status, action: 'resize' });
      }
      assertResizable(vm, flavor);
      const operationId = randomUUID();
      const operation = await this.launcher.launch(tx, tenantId, JobName.VmResize, { type: 'vm', id }, meta, operationId);
      const liveMax = vm.status === 'running' ? undefined : liveMaxFor(flavor, this.config.LIVE_RESIZE_HEADROOM);
      const sizes = await this.resizer.record(tx, vm, { ...flavor, flavorId: flavor.id, liveMax }, operationId);
      return { vm: await this.details.one({ ...vm, ...sizes }, tx), operation };
    });
  }
}
