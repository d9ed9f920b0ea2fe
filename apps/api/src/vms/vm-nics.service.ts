import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  DomainError,
  InvalidStateError,
  JobName,
  NotFoundError,
  OperationLauncher,
  OperationRepository,
  VmNicRepository,
  VmRepository,
  type OperationEntity,
  type RequestMeta,
  type VmEntity,
  type VmNic,
} from '@xenplane/core';
import { QuotaService, TenantAccessService } from '@xenplane/tenancy';
import { NicSecurityGroups } from '../security-groups/nic-security-groups.service.js';
import { NicAllocator } from './nic-allocator.service.js';

// Xen VIF devices 0..6 (ck_vm_nics_device), the slots xapi offers an HVM guest (VM.get_allowed_VIF_devices).
const DEVICES = 7;

export type NicWithGroups = VmNic & { securityGroupIds: string[] };
export type NicAccepted = { nic: NicWithGroups; operation: OperationEntity };

/** NICs added to and removed from an existing VM: IPAM in the request's transaction, the pool change as the VM's one operation. */
@Injectable()
export class VmNicsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly vms: VmRepository,
    private readonly nics: VmNicRepository,
    private readonly allocator: NicAllocator,
    private readonly launcher: OperationLauncher,
    private readonly operations: OperationRepository,
    private readonly tenants: TenantAccessService,
    private readonly groups: NicSecurityGroups,
    private readonly quota: QuotaService,
  ) {}

  async list(tenantId: string, vmId: string): Promise<NicWithGroups[]> {
    if (!(await this.vms.find(tenantId, vmId))) throw new NotFoundError('vm', vmId);
    return this.withGroups(tenantId, vmId, await this.nics.listForVms(tenantId, [vmId]));
  }

  /** Replaces the NIC's security groups; the hosts' flows follow within one reconcile (nothing changes on the pool). */
  setSecurityGroups(tenantId: string, vmId: string, nicId: string, groupIds: string[]): Promise<NicWithGroups> {
    return this.ds.transaction(async (tx) => {
      await this.tenants.holdActive(tx, tenantId);
      const nic = await this.nics.findOfVm(tenantId, vmId, nicId, tx);
      if (!nic) throw new NotFoundError('nic', nicId);
      await this.groups.assign(tx, tenantId, vmId, [nic.device], groupIds);
      const { networkXapiUuid: _, prefix: __, ...shown } = nic;
      return (await this.withGroups(tenantId, vmId, [shown], tx))[0];
    });
  }

  private async withGroups(tenantId: string, vmId: string, nics: VmNic[], tx?: EntityManager): Promise<NicWithGroups[]> {
    const groups = await this.groups.byNic([{ tenantId, id: vmId }], tx);
    return nics.map((n) => ({ ...n, securityGroupIds: groups.get(`${vmId}/${n.device}`) ?? [] }));
  }

  /**
   * The address and device are taken now (attaching), on a tenant network or a provider network the tenant may use
   * (a public address, charged to publicIps in this transaction); the worker makes and plugs the VIF, or gives them back.
   */
  add(tenantId: string, vmId: string, networkId: string, meta: RequestMeta, securityGroupIds?: string[]): Promise<NicAccepted> {
    return this.ds.transaction(async (tx) => {
      await this.tenants.holdActive(tx, tenantId);
      // The VM first (an unknown one is 404 whatever the body says); no path locks a network and then a VM, so no cycle.
      const vm = await this.changeable(tx, tenantId, vmId, 'add a NIC to');
      const [target] = await this.allocator.lockTargets(tx, tenantId, [networkId], () => 'networkId');
      if (vm.poolId !== target.network.poolId) {
        throw new DomainError('pool_mismatch', `network ${networkId} is on another pool than VM ${vmId}`, {
          vmPoolId: vm.poolId,
          networkPoolId: target.network.poolId,
        });
      }
      const existing = await this.nics.listForVms(tenantId, [vmId], tx);
      const joined = existing.find((n) => n.networkId === networkId);
      if (joined)
        throw new DomainError('already_attached', `VM ${vmId} already has NIC ${joined.id} on network ${networkId}`, { nicId: joined.id, networkId });
      const used = new Set(existing.map((n) => n.device));
      const device = [...Array(DEVICES).keys()].find((d) => !used.has(d));
      if (device === undefined) throw new DomainError('nic_limit_reached', `VM ${vmId} already has ${DEVICES} NICs`, { limit: DEVICES });
      const [operationId, nicId] = [randomUUID(), randomUUID()];
      const operation = await this.launcher.launch(tx, tenantId, JobName.VmAddNic, { type: 'vm', id: vmId }, meta, operationId);
      const nic = await this.allocator.allocateOne(tx, tenantId, vmId, target, device, { status: 'attaching', id: nicId });
      await this.operations.checkpoint(tx, tenantId, operationId, 'accepted', { nicId: nic.id });
      await this.groups.assign(tx, tenantId, vmId, [nic.device], securityGroupIds);
      const [shown] = await this.withGroups(tenantId, vmId, [nic], tx);
      // Quota last, the order create takes (the tenant's row is held only until commit); keyed by the NIC, whose removal gives it back.
      const publicIps = this.allocator.publicIps([target]);
      if (publicIps) await this.quota.charge(tx, tenantId, { publicIps }, { resourceId: nicId, operationId });
      return { nic: shown, operation };
    });
  }

  /** The NIC keeps its address (detaching), and a public one its publicIps quota, until the worker has taken its VIF off the pool. */
  remove(tenantId: string, vmId: string, nicId: string, meta: RequestMeta): Promise<NicAccepted> {
    return this.ds.transaction(async (tx) => {
      await this.changeable(tx, tenantId, vmId, 'remove a NIC from');
      const nic = await this.nics.findOfVm(tenantId, vmId, nicId, tx);
      if (!nic) throw new NotFoundError('nic', nicId);
      const operation = await this.launcher.launch(tx, tenantId, JobName.VmRemoveNic, { type: 'vm', id: vmId }, meta);
      // Only a NIC an operation left behind is not attached, and that operation is the VM's one: refused above.
      if (nic.status !== 'attached') throw new InvalidStateError(`NIC ${nicId} is ${nic.status}`, { currentStatus: nic.status, action: 'remove' });
      await this.nics.setStatus(tx, tenantId, nicId, 'detaching');
      await this.operations.checkpoint(tx, tenantId, operation.id, 'accepted', { nicId });
      const { networkXapiUuid: _, prefix: __, ...shown } = nic;
      return { nic: (await this.withGroups(tenantId, vmId, [{ ...shown, status: 'detaching' }], tx))[0], operation };
    });
  }

  /** The VM under its row lock, in a state whose NICs may change (running or stopped). */
  private async changeable(tx: EntityManager, tenantId: string, vmId: string, what: string): Promise<VmEntity> {
    const vm = await this.vms.findForUpdate(tx, tenantId, vmId);
    if (!vm) throw new NotFoundError('vm', vmId);
    if (vm.status !== 'running' && vm.status !== 'stopped') {
      throw new InvalidStateError(`cannot ${what} a VM that is ${vm.status}`, { currentStatus: vm.status, action: 'nic' });
    }
    return vm;
  }
}
