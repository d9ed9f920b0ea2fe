import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PRESENCE_RULES,
  PresenceRepository,
  VmNicRepository,
  VmRepository,
  VolumeRepository,
  nextPresence,
  type Presence,
  type PresenceEvent,
  type PresenceKind,
  type PresencePatch,
} from '@xenplane/core';
import { vmFootprint, volumeFootprint } from '../quota/quota-math.js';
import { QuotaService } from '../quota/quota.service.js';

export interface LifecycleTarget {
  kind: PresenceKind;
  tenantId: string;
  id: string;
}

export interface LifecycleChange {
  /** Row columns written in the same statement as the presence (status, errorReason, ...). */
  patch?: PresencePatch;
  /** Keys the quota ledger entry, so a replayed release happens once. */
  operationId: string;
  /** Only a running or stopped row with no operation in flight (the reconciler's view). */
  settledOnly?: boolean;
}

/**
 * The one place a VM's, network's or volume's presence changes, and with it whether it is billed (the metering triggers read
 * the presence) and whether it holds quota and addresses (released here, in the same transaction, at most once).
 */
@Injectable()
export class ResourceLifecycle {
  constructor(
    private readonly presences: PresenceRepository,
    private readonly quota: QuotaService,
    private readonly vms: VmRepository,
    private readonly nics: VmNicRepository,
    private readonly volumes: VolumeRepository,
  ) {}

  /** Applies `event`; returns the presence before, or null when the row is missing or not settled as asked. */
  async apply(tx: EntityManager, target: LifecycleTarget, event: PresenceEvent, change: LifecycleChange): Promise<Presence | null> {
    const { kind, tenantId, id } = target;
    const before = await this.presences.lock(tx, kind, tenantId, id, change.settledOnly);
    if (!before) return null;
    const after = nextPresence(before, event);
    await this.presences.write(tx, kind, tenantId, id, after, change.patch ?? {});
    const [was, now] = [PRESENCE_RULES[before], PRESENCE_RULES[after]];
    if (was.holdsQuota && !now.holdsQuota) await this.releaseQuota(tx, target, change.operationId);
    if (was.holdsAddresses && !now.holdsAddresses && kind === 'vm') await this.nics.releaseForVm(tx, tenantId, id);
    return before;
  }

  private async releaseQuota(tx: EntityManager, { kind, tenantId, id }: LifecycleTarget, operationId: string): Promise<void> {
    const ref = { resourceId: id, operationId };
    if (kind === 'network') {
      await this.quota.release(tx, tenantId, { networks: 1 }, ref);
      return;
    }
    if (kind === 'volume') {
      const volume = await this.volumes.find(tenantId, id, tx);
      if (volume) await this.quota.release(tx, tenantId, volumeFootprint(volume), ref);
      return;
    }
    const vm = await this.vms.find(tenantId, id, tx);
    if (vm) await this.quota.release(tx, tenantId, vmFootprint(vm), ref);
  }
}
