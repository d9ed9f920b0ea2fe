import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { VmNicRepository, VmRepository, type VmBootstrapShown, type VmEntity, type VmNic } from '@xenplane/core';

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

/** Loads what a VM view shows beside the row, for one VM or a page of them (of one tenant or several): two statements. */
@Injectable()
export class VmDetails {
  constructor(
    private readonly nics: VmNicRepository,
    private readonly vms: VmRepository,
  ) {}

  async of(vms: VmEntity[], q?: EntityManager): Promise<VmWithNics[]> {
    // One after the other: within a transaction both run on its one connection.
    const nics = await this.nics.listForTenantVms(vms, q);
    const parts = await this.vms.viewParts(vms, q);
    const byVm = new Map<string, VmNic[]>();
    for (const n of nics) (byVm.get(n.vmId) ?? byVm.set(n.vmId, []).get(n.vmId)!).push(n);
    return vms.map((vm) => {
      const p = parts.get(vm.id);
      return { ...vm, nics: byVm.get(vm.id) ?? [], hostId: p?.hostId ?? null, bootstrap: p?.bootstrap, operation: p?.operation ?? null };
    });
  }

  async one(vm: VmEntity, q?: EntityManager): Promise<VmWithNics> {
    return (await this.of([vm], q))[0];
  }
}
