import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PRESENCE_RULES,
  ImageRepository,
  PresenceRepository,
  SnapshotRepository,
  VmNicRepository,
  VmRepository,
  VolumeRepository,
  nextPresence,
  type Presence,
  type PresenceEvent,
  type PresenceKind,
  type PresencePatch,
} from '@xenplane/core';
import { imageFootprint, snapshotFootprint, vmFootprint, volumeFootprint } from '../quota/quota-math.js';
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
 * The one place a VM's, network's, volume's, snapshot's or tenant image's presence changes, and with it whether it is billed (the metering triggers read
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
    private readonly snapshots: SnapshotRepository,
    private readonly images: ImageRepository,
  ) {}

  /** Applies `event`; returns the presence before, or null when the row is missing or not settled as asked. */
  async apply(tx: EntityManager, target: LifecycleTarget, event: PresenceEvent, change: LifecycleChange): Promise<Presence | null> {
    const { kind, tenantId, id } = target;
    // Where `event` leads from any presence but released (which stays, in the statement too): lock and write are one.
    const next = nextPresence('present', event);
    const before = await this.presences.advance(tx, target, next, change.patch ?? {}, change.settledOnly);
    if (!before) return null;
    const after = nextPresence(before, event);
    const [was, now] = [PRESENCE_RULES[before], PRESENCE_RULES[after]];
    if (was.holdsQuota && !now.holdsQuota) await this.releaseQuota(tx, target, change.operationId);
    if (was.holdsAddresses && !now.holdsAddresses && kind === 'vm') await this.nics.releaseForVm(tx, tenantId, id);
    return before;
  }

  /**
   * Gives one NIC's address back (a NIC removed, or a failed add) and, for a public address, its publicIps quota: only
   * the call whose delete took the row releases, so a retry, or a VM release that took the NICs first, releases nothing.
   */
  async releaseNic(tx: EntityManager, target: { tenantId: string; nicId: string }, operationId: string): Promise<boolean> {
    const gone = await this.nics.remove(tx, target.tenantId, target.nicId);
    if (gone?.provider) await this.quota.release(tx, target.tenantId, { publicIps: 1 }, { resourceId: target.nicId, operationId });
    return gone !== null;
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
    if (kind === 'snapshot') {
      const snapshot = await this.snapshots.find(tenantId, id, tx);
      if (snapshot) await this.quota.release(tx, tenantId, snapshotFootprint(snapshot), ref);
      return;
    }
    if (kind === 'image') {
      const image = await this.images.findOwned(tenantId, id, tx);
      if (image) await this.quota.release(tx, tenantId, imageFootprint(image), ref);
      return;
    }
    const vm = await this.vms.find(tenantId, id, tx);
    // Counted before the NICs go (apply releases addresses after quota): the VM gives back the public IPs it holds.
    if (vm) await this.quota.release(tx, tenantId, vmFootprint(vm, await this.nics.countPublicIps(tenantId, id, tx)), ref);
  }
}
