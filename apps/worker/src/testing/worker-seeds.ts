// Test helper: rows written exactly as the API writes them (apps/api vms.service, nic-allocator, networks.service).
import { createHash, randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import {
  hostnameFromName,
  SecretBox,
  VmBootstrapRepository,
  ACTION_JOB,
  FlavorRepository,
  ImageRepository,
  JobName,
  NetworkRepository,
  OperationLauncher,
  OperationRepository,
  VmNicRepository,
  type VmNicStatus,
  VmRepository,
  isActionAllowed,
  requestContext,
  type FlavorEntity,
  type ImageEntity,
  type NetworkEntity,
  type OperationEntity,
  type VmAction,
  type VmEntity,
} from '@xenplane/core';
import { intToIp, parseTenantCidr, randomLocalMac } from '@xenplane/network/ipam';
import { TEST_USER_DATA_KEY } from '@xenplane/testing';
import { QuotaService, TenantAccessService, TenantsService, vmFootprint, type QuotaLimits } from '@xenplane/tenancy';

/** What the seeds need from a booted worker (its own repositories and services). */
export interface SeedDeps {
  ds: DataSource;
  poolId: string;
  get: <T>(type: abstract new (...args: never[]) => T) => T;
}

export interface VmSpec {
  flavor?: FlavorEntity;
  image?: ImageEntity;
  networks?: NetworkEntity[];
  name?: string;
  /** What POST /v1/vms records for its config drive (user-data sealed with TEST_USER_DATA_KEY); none: a VM without one */
  bootstrap?: { hostname?: string; sshKeys?: string[]; userData?: string };
}

/** Seeds a tenant's resources through the real repositories, each change with its operation, as one API request. */
export class WorkerSeeds {
  private defaults: Promise<{ flavor: FlavorEntity; image: ImageEntity }> | undefined;

  constructor(private readonly deps: SeedDeps) {}

  /** A tenant and its quota row (limits not given are unlimited). */
  async tenant(limits: Partial<QuotaLimits> = {}): Promise<string> {
    return (await this.deps.get(TenantsService).create(`t-${randomUUID()}`, limits)).id;
  }

  /** A flavor; the simulator's templates have a 10 GiB disk, so that is the smallest disk that fits. */
  flavor(size: Pick<FlavorEntity, 'vcpus' | 'memoryMiB' | 'diskGiB'> = { vcpus: 1, memoryMiB: 512, diskGiB: 10 }): Promise<FlavorEntity> {
    return this.deps.get(FlavorRepository).insert(this.deps.ds.manager, { id: randomUUID(), name: `f-${randomUUID()}`, ...size });
  }

  image(template = 'Debian Bookworm 12', configDrive: ImageEntity['configDrive'] = 'nocloud'): Promise<ImageEntity> {
    return this.deps.get(ImageRepository).insert(this.deps.ds.manager, { id: randomUUID(), name: `i-${randomUUID()}`, template, configDrive });
  }

  /** POST /v1/networks: quota charged, the lowest free VNI, and the network.create operation. */
  network(tenantId: string, cidr = '10.20.0.0/24'): Promise<{ network: NetworkEntity; operation: OperationEntity }> {
    const [id, operationId] = [randomUUID(), randomUUID()];
    return this.request(tenantId, async (tx) => {
      await this.deps.get(QuotaService).charge(tx, tenantId, { networks: 1 }, { resourceId: id, operationId });
      const network = await this.deps
        .get(NetworkRepository)
        .insertWithFreeVni(tx, { id, tenantId, poolId: this.deps.poolId, name: `n-${id.slice(0, 8)}`, cidr });
      if (!network) throw new Error('no VNI was free');
      const operation = await this.launch(tx, tenantId, JobName.NetworkCreate, 'network', id, operationId);
      return { network, operation };
    });
  }

  /** DELETE /v1/networks/:id. */
  deleteNetwork(tenantId: string, id: string): Promise<OperationEntity> {
    return this.request(tenantId, async (tx) => {
      const operation = await this.launch(tx, tenantId, JobName.NetworkDelete, 'network', id);
      await this.deps.get(NetworkRepository).update(tx, tenantId, id, { status: 'deleting' });
      return operation;
    });
  }

  /** POST /v1/vms: the footprint charged, the VM row, one NIC per network (lowest free address) and vm.create. */
  async vm(tenantId: string, spec: VmSpec = {}): Promise<{ vm: VmEntity; operation: OperationEntity }> {
    const { flavor, image } = { ...(await (this.defaults ??= this.catalog())), ...spec };
    const [id, operationId] = [randomUUID(), randomUUID()];
    const size = { vcpus: flavor.vcpus, memoryMiB: flavor.memoryMiB, diskGiB: flavor.diskGiB };
    return this.request(tenantId, async (tx) => {
      for (const n of spec.networks ?? []) {
        if (!(await this.deps.get(NetworkRepository).findLocked(tx, tenantId, n.id, 'read'))) throw new Error(`no network ${n.id}`);
      }
      await this.deps.get(QuotaService).charge(tx, tenantId, vmFootprint(size), { resourceId: id, operationId });
      const vm = await this.deps.get(VmRepository).insert(tx, {
        id,
        tenantId,
        name: spec.name ?? `vm-${id.slice(0, 8)}`,
        flavorId: flavor.id,
        imageId: image.id,
        poolId: this.deps.poolId,
        status: 'pending',
        ...size,
        xapiUuid: null,
        hostUuid: null,
        powerState: null,
        errorReason: null,
      });
      for (const [device, network] of (spec.networks ?? []).entries()) await this.allocateNic(tx, tenantId, id, device, network);
      if (spec.bootstrap) await this.recordBootstrap(tx, tenantId, vm, spec.bootstrap);
      return { vm, operation: await this.launch(tx, tenantId, JobName.VmCreate, 'vm', id, operationId) };
    });
  }

  /** POST /v1/vms/:id/actions (start, stop, reboot, delete), refused as the API refuses it. */
  act(tenantId: string, vmId: string, action: Exclude<VmAction, 'resize'>): Promise<OperationEntity> {
    return this.request(tenantId, async (tx) => {
      const vm = await this.deps.get(VmRepository).findForUpdate(tx, tenantId, vmId);
      if (!vm || !isActionAllowed(vm.status, action)) throw new Error(`cannot ${action} a VM that is ${vm?.status ?? 'missing'}`);
      const operation = await this.launch(tx, tenantId, ACTION_JOB[action], 'vm', vmId);
      if (action === 'delete') await this.deps.get(VmRepository).update(tx, tenantId, vmId, { status: 'deleting' });
      return operation;
    });
  }

  /** PATCH /v1/vms/:id: the growth charged now, the new sizes on the row, the old ones in the checkpoint. */
  resize(tenantId: string, vmId: string, flavor: FlavorEntity): Promise<OperationEntity> {
    return this.request(tenantId, async (tx) => {
      const vm = await this.deps.get(VmRepository).findForUpdate(tx, tenantId, vmId);
      if (!vm || !isActionAllowed(vm.status, 'resize')) throw new Error(`cannot resize a VM that is ${vm?.status ?? 'missing'}`);
      const operationId = randomUUID();
      await this.deps
        .get(QuotaService)
        .charge(tx, tenantId, { vcpus: flavor.vcpus - vm.vcpus, memoryMiB: flavor.memoryMiB - vm.memoryMiB }, { resourceId: vmId, operationId });
      const operation = await this.launch(tx, tenantId, JobName.VmResize, 'vm', vmId, operationId);
      const previous = { vcpus: vm.vcpus, memoryMiB: vm.memoryMiB, flavorId: vm.flavorId };
      await this.deps.get(OperationRepository).checkpoint(tx, tenantId, operationId, 'accepted', { previous });
      await this.deps.get(VmRepository).update(tx, tenantId, vmId, { vcpus: flavor.vcpus, memoryMiB: flavor.memoryMiB, flavorId: flavor.id });
      return operation;
    });
  }

  private async recordBootstrap(tx: EntityManager, tenantId: string, vm: VmEntity, b: NonNullable<VmSpec['bootstrap']>): Promise<void> {
    const userData = b.userData ?? null;
    await this.deps.get(VmBootstrapRepository).insert(tx, {
      vmId: vm.id,
      tenantId,
      hostname: b.hostname ?? hostnameFromName(vm.name),
      keypairIds: [],
      sshKeys: b.sshKeys ?? [],
      userDataSealed: userData === null ? null : new SecretBox(TEST_USER_DATA_KEY).seal(userData),
      userDataSha256: userData === null ? null : createHash('sha256').update(userData).digest('hex'),
    });
  }

  private async catalog(): Promise<{ flavor: FlavorEntity; image: ImageEntity }> {
    return { flavor: await this.flavor(), image: await this.image() };
  }

  /** One API request: its own request id (which the operation keeps) and one transaction, the tenant held active. */
  private request<T>(tenantId: string, fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    return requestContext.run({ requestId: `req-${randomUUID()}`, tenantId }, () =>
      this.deps.ds.transaction(async (tx) => {
        await this.deps.get(TenantAccessService).holdActive(tx, tenantId);
        return fn(tx);
      }),
    );
  }

  private launch(tx: EntityManager, tenantId: string, job: JobName, type: string, id: string, operationId?: string): Promise<OperationEntity> {
    return this.deps
      .get(OperationLauncher)
      .launch(tx, tenantId, job, { type, id }, { requestId: requestContext.current()?.requestId ?? null }, operationId);
  }

  /** POST /v1/vms/:id/nics: the lowest free device and address (attaching) and vm.add-nic naming the NIC. */
  addNic(tenantId: string, vmId: string, network: NetworkEntity): Promise<{ nicId: string; operation: OperationEntity }> {
    return this.request(tenantId, async (tx) => {
      const used = new Set((await this.deps.get(VmNicRepository).listForVms(tenantId, [vmId], tx)).map((n) => n.device));
      const device = [0, 1, 2, 3, 4, 5, 6].find((d) => !used.has(d))!;
      const operation = await this.launch(tx, tenantId, JobName.VmAddNic, 'vm', vmId);
      await this.allocateNic(tx, tenantId, vmId, device, network, 'attaching');
      const nic = (await this.deps.get(VmNicRepository).listForVms(tenantId, [vmId], tx)).find((n) => n.device === device)!;
      await this.deps.get(OperationRepository).checkpoint(tx, tenantId, operation.id, 'accepted', { nicId: nic.id });
      return { nicId: nic.id, operation };
    });
  }

  /** DELETE /v1/vms/:id/nics/:nicId: the NIC detaching and vm.remove-nic naming it. */
  removeNic(tenantId: string, vmId: string, nicId: string): Promise<OperationEntity> {
    return this.request(tenantId, async (tx) => {
      const operation = await this.launch(tx, tenantId, JobName.VmRemoveNic, 'vm', vmId);
      await this.deps.get(VmNicRepository).setStatus(tx, tenantId, nicId, 'detaching');
      await this.deps.get(OperationRepository).checkpoint(tx, tenantId, operation.id, 'accepted', { nicId });
      return operation;
    });
  }

  private async allocateNic(
    tx: EntityManager,
    tenantId: string,
    vmId: string,
    device: number,
    network: NetworkEntity,
    status?: VmNicStatus,
  ): Promise<void> {
    const subnet = parseTenantCidr(network.cidr);
    const range = { networkAddress: intToIp(subnet.network), firstOffset: 2, lastOffset: 1 + subnet.capacity };
    const ip = await this.deps
      .get(VmNicRepository)
      .insertWithFreeIp(tx, tenantId, { vmId, networkId: network.id, device, mac: randomLocalMac(), status }, range);
    if (!ip) throw new Error(`no address left on network ${network.id}`);
  }
}
