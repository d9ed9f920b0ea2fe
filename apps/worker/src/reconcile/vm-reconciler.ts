import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import type { ObservedVm, Observation, VmRepository } from '@xenplane/core';
import { reconcileDrift } from '../worker.metrics.js';
import type { XapiWatchEvent } from '@xenplane/xapi-driver';
import { TENANT_ID_KEY, VM_ID_KEY, XENPLANE_TAG } from '../vms/vm-markers.js';
import type { GuestIpsTracker } from './guest-ips.tracker.js';

type XapiRecord = Record<string, unknown>;

export interface VanishedHandler {
  (tenantId: string, vmId: string): Promise<void>;
}

interface Ours {
  vmId: string;
  tenantId: string;
}

function ours(record: XapiRecord): Ours | null {
  const oc = (record.other_config ?? {}) as Record<string, string>;
  if (record.is_a_template || record.is_a_snapshot || !oc[VM_ID_KEY] || !oc[TENANT_ID_KEY]) return null;
  return { vmId: oc[VM_ID_KEY], tenantId: oc[TENANT_ID_KEY] };
}

/** Whether recording `seen` would change the row: what it shows, or a status that follows the power state. */
function differs(row: ObservedVm, seen: Observation): boolean {
  return row.powerState !== seen.powerState || row.hostUuid !== seen.hostUuid || (row.follows && row.status !== seen.status);
}

function statusOf(powerState: unknown): 'running' | 'stopped' {
  return powerState === 'Running' || powerState === 'Paused' ? 'running' : 'stopped';
}

/**
 * Folds one pool's XAPI VM, host and guest-metrics events into Postgres: observed power state and host, the addresses
 * guests report, VMs that vanished,
 * and VMs tagged as ours that no row knows (orphans, reported).
 */
export class VmReconciler {
  private readonly hostUuids = new Map<string, string>();
  private readonly refs = new Map<string, Ours>();
  private readonly reportedOrphans = new Set<string>();
  /** Events and sweeps run one at a time: a sweep's older view must not land after a newer event's. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly poolId: string,
    private readonly vms: VmRepository,
    /** Where observations are written: each its own statement (`ds.manager`). */
    private readonly db: EntityManager,
    private readonly onVanished: VanishedHandler,
    private readonly stillExists: (xapiUuid: string) => Promise<boolean>,
    private readonly powerStateNow: (ref: string) => Promise<string>,
    private readonly logger: Logger,
    private readonly guestIps?: GuestIpsTracker,
  ) {}

  handle(event: XapiWatchEvent): Promise<void> {
    return this.inTurn(() => this.handleNow(event));
  }

  /** A full view of the pool's VMs: observe each of ours, and every settled row XAPI lacks has vanished. */
  sync(records: Record<string, XapiRecord>): Promise<void> {
    return this.inTurn(() => this.syncNow(records));
  }

  private inTurn(fn: () => Promise<void>): Promise<void> {
    const next = this.turn.then(fn, fn);
    this.turn = next.catch(() => undefined);
    return next;
  }

  private async handleNow(event: XapiWatchEvent): Promise<void> {
    const cls = event.class.toLowerCase();
    if (cls === 'host') return this.onHost(event);
    if (cls === 'vm_guest_metrics') return this.guestIps?.onMetrics(event);
    if (cls !== 'vm') return;
    if (event.kind === 'sync') return this.syncNow(event.records);
    if (event.kind === 'del') {
      const known = this.refs.get(event.ref);
      this.refs.delete(event.ref);
      if (known) await this.vanished(known);
      return;
    }
    if (event.snapshot) await this.observe(event.ref, event.snapshot);
  }

  /** Set-based: one read of the pool's rows, the comparison in memory, and only the rows that differ written in batches. */
  private async syncNow(records: Record<string, XapiRecord>): Promise<void> {
    this.refs.clear();
    const seen: [string, Ours, XapiRecord][] = [];
    for (const [ref, record] of Object.entries(records)) {
      const mine = this.claim(ref, record);
      if (mine) seen.push([ref, mine, record]);
    }
    const rows = await this.vms.listObservedInPool(
      this.poolId,
      seen.map(([, mine]) => mine.vmId),
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const writes = new Map<string, Observation & { tenantId: string; id: string }>();
    const metrics: { owner: Ours; guestMetrics: unknown }[] = [];
    const seenUuids = new Set<string>();
    for (const [ref, mine, record] of seen) {
      seenUuids.add(String(record.uuid));
      const row = byId.get(mine.vmId);
      const found = row?.tenantId === mine.tenantId ? row : undefined;
      if (!found || found.status === 'deleted') {
        this.orphan(record, found ? 'its VM was deleted' : 'no row');
        continue;
      }
      const observed = await this.observation(ref, record, found.status);
      if (differs(found, observed)) writes.set(mine.vmId, { ...observed, tenantId: mine.tenantId, id: mine.vmId });
      metrics.push({ owner: mine, guestMetrics: record.guest_metrics });
    }
    const changed = await this.vms.recordObservedMany(this.db, [...writes.values()]);
    for (const id of changed) this.drifted(id, writes.get(id)?.powerState);
    await this.guestIps?.onVms(metrics);
    for (const row of rows) {
      // The snapshot predates the row list: a VM made in between is absent from it, so ask XAPI before judging.
      if (row.settled && !seenUuids.has(row.xapiUuid!) && !(await this.stillExists(row.xapiUuid!))) {
        await this.vanished({ vmId: row.id, tenantId: row.tenantId });
      }
    }
  }

  private async observe(ref: string, record: XapiRecord): Promise<void> {
    const mine = this.claim(ref, record);
    if (!mine) return;
    const found = await this.vms.find(mine.tenantId, mine.vmId);
    if (!found || found.status === 'deleted') return this.orphan(record, found ? 'its VM was deleted' : 'no row');
    const observed = await this.observation(ref, record, found.status);
    const changed = await this.vms.recordObserved(this.db, mine.tenantId, mine.vmId, observed);
    await this.guestIps?.onVm(mine, record.guest_metrics);
    if (changed) this.drifted(mine.vmId, observed.powerState);
  }

  /** Ours (remembered by ref), or not: a VM tagged xenplane without our ids is reported as an orphan. */
  private claim(ref: string, record: XapiRecord): Ours | null {
    const mine = ours(record);
    if (!mine) {
      const tags = Array.isArray(record.tags) ? record.tags : [];
      if (tags.includes(XENPLANE_TAG) && !record.is_a_template) this.orphan(record, 'no xenplane ids');
      return null;
    }
    this.refs.set(ref, mine);
    return mine;
  }

  /** What a row whose status is `status` should record of XAPI's `record`: both paths' one rule. */
  private async observation(ref: string, record: XapiRecord, status: string): Promise<Observation> {
    const host = typeof record.resident_on === 'string' ? (this.hostUuids.get(record.resident_on) ?? null) : null;
    let power = String(record.power_state);
    // A snapshot can predate the saga that just finished (a sweep's or sync's records, a lagging batch): before
    // contradicting the row's status, ask XAPI what is true now.
    if ((status === 'running' || status === 'stopped') && statusOf(power) !== status) {
      power = await this.powerStateNow(ref);
    }
    return { powerState: power, hostUuid: power === 'Halted' ? null : host, status: statusOf(power) };
  }

  private drifted(vmId: string, powerState: string | undefined): void {
    reconcileDrift.inc({ pool: this.poolId, kind: 'power_changed' });
    this.logger.info({ vmId, powerState }, 'vm power state changed outside xenplane');
  }

  private async vanished(vm: Ours): Promise<void> {
    await this.onVanished(vm.tenantId, vm.vmId);
  }

  private orphan(record: XapiRecord, why: string): void {
    // Counted once per watcher, not at every event of the same VM.
    if (this.reportedOrphans.has(String(record.uuid))) return;
    this.reportedOrphans.add(String(record.uuid));
    reconcileDrift.inc({ pool: this.poolId, kind: 'orphan' });
    this.logger.warn({ xapiUuid: record.uuid, nameLabel: record.name_label, why }, 'XAPI VM tagged xenplane has no live row');
  }

  private onHost(event: XapiWatchEvent): void {
    if (event.kind === 'sync') {
      this.hostUuids.clear();
      for (const [ref, r] of Object.entries(event.records)) this.hostUuids.set(ref, String(r.uuid));
    } else if (event.kind === 'del') {
      this.hostUuids.delete(event.ref);
    } else if (event.snapshot) {
      this.hostUuids.set(event.ref, String(event.snapshot.uuid));
    }
  }
}
