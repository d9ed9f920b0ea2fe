import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError, PlacementService, type NetworkEntity, type Placement } from '@xenplane/core';
import type { VmPlacementFields } from './vm-placement.dto.js';

/**
 * Where a new VM goes, decided in its create transaction: the pool (its disks, NICs and config drive are made there)
 * and a host claim the worker starts it on. A VM on tenant (or provider) networks goes to their pool: a XAPI network is pool-scoped.
 */
@Injectable()
export class VmScheduler {
  constructor(private readonly placement: PlacementService) {}

  async place(
    tx: EntityManager,
    tenantId: string,
    size: { vcpus: number; memoryMiB: number; diskGiB: number; template: string },
    where: VmPlacementFields,
    networks: Pick<NetworkEntity, 'poolId'>[],
  ): Promise<Placement> {
    const networkPools = [...new Set(networks.map((n) => n.poolId))];
    if (networkPools.length > 1) {
      throw new DomainError('pool_mismatch', 'the networks are on different pools: a VM can join networks of one pool only', {
        poolIds: networkPools,
      });
    }
    return this.placement.place(tx, {
      tenantId,
      ...size,
      region: where.region,
      zone: where.zone,
      serverGroupId: where.serverGroupId ?? null,
      poolId: networkPools[0],
      stage: 'api',
    });
  }
}
