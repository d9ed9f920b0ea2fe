import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  HostRepository,
  OperationRepository,
  SecurityGroupRepository,
  VmBootstrapRepository,
  VmNicRepository,
  type VmBootstrapShown,
  type VmEntity,
  type VmNic,
} from '@xenplane/core';

/**
 * A VM as the API shows it: its NICs, its bootstrap (host name, keypairs), its host as the id `GET /v1/hosts` lists
 * (null until synced), and the operation running on it (which refuses any other until it ends).
 */
export type VmWithNics = VmEntity & {
  nics: (VmNic & { securityGroupIds?: string[] })[];
  hostId: string | null;
  bootstrap?: VmBootstrapShown;
  operation?: { id: string; kind: string } | null;
};

/** Loads what a VM view shows beside the row, for one VM or a page of them (of one tenant or several). */
@Injectable()
export class VmDetails {
  constructor(
    private readonly nics: VmNicRepository,
    private readonly hosts: HostRepository,
    private readonly bootstraps: VmBootstrapRepository,
    private readonly groups: SecurityGroupRepository,
    private readonly operations: OperationRepository,
  ) {}

  async of(vms: VmEntity[], q?: EntityManager): Promise<VmWithNics[]> {
    const onHost = vms.filter((vm) => vm.hostUuid !== null).map((vm) => ({ poolId: vm.poolId, xapiUuid: vm.hostUuid! }));
    // One after the other: within a transaction both run on its one connection.
    const nics = await this.nics.listForTenantVms(vms, q);
    const hostIds = await this.hosts.idsByXapiUuid(onHost, q);
    const shown = await this.bootstraps.shownForVms(vms, q);
    const groups = await this.groups.nicGroupsForTenantVms(vms, q);
    const busy = await this.operations.activeForResources(vms, q);
    return vms.map((vm) => ({
      ...vm,
      nics: nics.filter((n) => n.vmId === vm.id).map((n) => ({ ...n, securityGroupIds: groups.get(`${n.vmId}/${n.device}`) ?? [] })),
      bootstrap: shown.get(vm.id),
      operation: busy.get(vm.id) ?? null,
      hostId: vm.hostUuid === null ? null : (hostIds.get(`${vm.poolId}/${vm.hostUuid}`) ?? null),
    }));
  }

  async one(vm: VmEntity, q?: EntityManager): Promise<VmWithNics> {
    return (await this.of([vm], q))[0];
  }
}
