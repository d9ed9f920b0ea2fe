import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ImageRepository, NoCapacityError, OperationRepository, PlacementService, VmRepository, type VmEntity } from '@xenplane/core';
import { SagaError } from '../pipeline/job-failure.js';

/** Where a VM leaving a host goes: the scheduler on its pool, the source excluded; the claim and decision are recorded. */
@Injectable()
export class MigrationTargets {
  constructor(
    private readonly placement: PlacementService,
    private readonly images: ImageRepository,
    private readonly vms: VmRepository,
    private readonly operations: OperationRepository,
  ) {}

  /** Chooses, checkpoints `{fromHostId, toHostId}` on the operation and claims the target in `tx`; NoCapacityError when none fits. */
  async claim(tx: EntityManager, vm: VmEntity, operationId: string, fromHostId: string | null): Promise<string> {
    const image = await this.images.find(vm.imageId);
    const placed = await this.placement.place(tx, {
      tenantId: vm.tenantId,
      vcpus: vm.vcpus,
      memoryMiB: vm.memoryMiB,
      diskGiB: vm.diskGiB,
      template: image?.template ?? '',
      serverGroupId: vm.serverGroupId,
      poolId: vm.poolId,
      vmId: vm.id,
      excludeHostIds: fromHostId ? [fromHostId] : [],
      stage: 'migrate',
    });
    if (!placed.hostId) throw new NoCapacityError('host_live', { hostsConsidered: 0, byReason: {} }, 'a move (no host of the pool is reported)');
    await this.operations.recordPlacement(tx, vm.tenantId, operationId, placed.decision);
    await this.operations.checkpoint(tx, vm.tenantId, operationId, 'target', { fromHostId, toHostId: placed.hostId });
    await this.vms.update(tx, vm.tenantId, vm.id, { placedHostId: placed.hostId });
    return placed.hostId;
  }

  /** The same, for a job: a refusal fails it with no_capacity. */
  async claimForJob(tx: EntityManager, vm: VmEntity, operationId: string, fromHostId: string | null): Promise<string> {
    return this.claim(tx, vm, operationId, fromHostId).catch((err: unknown) => {
      if (err instanceof NoCapacityError) throw new SagaError('no_capacity', err.message);
      throw err;
    });
  }
}
