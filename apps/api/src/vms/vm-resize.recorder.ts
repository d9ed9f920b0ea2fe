import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OperationRepository, VmRepository, type VmEntity } from '@xenplane/core';
import { QuotaService } from '@xenplane/tenancy';

/** The sizes a VM is brought to: a flavor's (a resize) or a snapshot's (a revert). */
export interface TargetSizes {
  flavorId: string;
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
  /** Live maximums to record with them; left out, the row keeps its own (a running VM's cannot change). */
  liveMax?: { vcpus: number; memoryMiB: number };
}

/**
 * The rule a resize and a revert share: in the request's transaction, charge the growth (or give back the shrink), keep
 * what a failure goes back to in the operation's checkpoint, and write the new sizes on the row. The operation that
 * applies them bills them when it succeeds (the resized usage event) and gives the charge back when it fails.
 */
@Injectable()
export class VmResizeRecorder {
  constructor(
    private readonly vms: VmRepository,
    private readonly quota: QuotaService,
    private readonly operations: OperationRepository,
  ) {}

  /** `operationId` is the operation's (launched in `tx` before or after): it keys the quota ledger entry. */
  async record(tx: EntityManager, vm: VmEntity, to: TargetSizes, operationId: string): Promise<Partial<VmEntity>> {
    const { tenantId, id } = vm;
    const delta = { vcpus: to.vcpus - vm.vcpus, memoryMiB: to.memoryMiB - vm.memoryMiB, diskGiB: to.diskGiB - vm.diskGiB };
    await this.quota.charge(tx, tenantId, delta, { resourceId: id, operationId });
    const { vcpus, memoryMiB, diskGiB, liveMaxVcpus, liveMaxMemoryMiB, flavorId } = vm;
    const previous = { vcpus, memoryMiB, diskGiB, liveMaxVcpus, liveMaxMemoryMiB, flavorId };
    await this.operations.checkpoint(tx, tenantId, operationId, 'accepted', { previous });
    const sizes: Partial<VmEntity> = {
      vcpus: to.vcpus,
      memoryMiB: to.memoryMiB,
      diskGiB: to.diskGiB,
      flavorId: to.flavorId,
      ...(to.liveMax ? { liveMaxVcpus: to.liveMax.vcpus, liveMaxMemoryMiB: to.liveMax.memoryMiB } : {}),
    };
    await this.vms.update(tx, tenantId, id, sizes);
    return sizes;
  }
}
