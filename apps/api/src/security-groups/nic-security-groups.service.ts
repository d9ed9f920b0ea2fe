import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { NotFoundError, SecurityGroupRepository } from '@xenplane/core';

/** The groups a NIC is filtered by: checked to be the tenant's (another tenant's group is 404), then set in `tx`. */
@Injectable()
export class NicSecurityGroups {
  constructor(private readonly groups: SecurityGroupRepository) {}

  /** Sets every listed NIC's groups to `groupIds`; left out (or null) keeps the default group the NICs joined when made. */
  async assign(
    tx: EntityManager,
    tenantId: string,
    vmId: string,
    devices: number[],
    groupIds: string[] | null | undefined,
  ): Promise<string[] | null> {
    if (groupIds === undefined || groupIds === null) return null;
    const found = new Set((await this.groups.findMany(tx, tenantId, groupIds)).map((g) => g.id));
    const missing = groupIds.find((id) => !found.has(id));
    if (missing) throw new NotFoundError('security group', missing);
    for (const device of devices) await this.groups.setNicGroups(tx, tenantId, vmId, device, groupIds);
    // As byNic answers them: each id once, in uuid order (lower-case hex sorts as the bytes do).
    return [...found].sort();
  }

  /** Groups of the NICs of `vms`, by `vmId/device`. */
  byNic(vms: { tenantId: string; id: string }[], q?: EntityManager): Promise<Map<string, string[]>> {
    return this.groups.nicGroupsForTenantVms(vms, q);
  }
}
