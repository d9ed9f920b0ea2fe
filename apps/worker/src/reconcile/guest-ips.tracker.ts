import type { EntityManager } from 'typeorm';
import type { VmNicRepository, VmRepository } from '@xenplane/core';
import { addressesOf, isNullRef, type XapiWatchEvent } from '@xenplane/xapi-driver';

type XapiRecord = Record<string, unknown>;

interface Owner {
  vmId: string;
  tenantId: string;
}

/** What one VM_guest_metrics record says: addresses per VIF, and whether disks hot-plug. */
interface Report {
  networks: Record<string, string>;
  hotplugVbd: boolean;
}
const NONE: Report | null = null;

/**
 * Folds VM_guest_metrics (what each guest's agent reports) into vm_nics.guest_ips (networks, per VIF) and
 * vms.hotplug_vbd. The metrics and their VM arrive as separate events in either order, so both are remembered: the
 * VM's metrics ref, the metrics' report.
 */
export class GuestIpsTracker {
  private readonly owners = new Map<string, Owner>();
  private readonly reports = new Map<string, Report>();

  constructor(
    private readonly nics: VmNicRepository,
    private readonly db: EntityManager,
    private readonly vms?: VmRepository,
  ) {}

  /** A VM of ours was seen: its guest metrics ref, or none (halted: xapi drops them, and the addresses with them). */
  async onVm(owner: Owner, guestMetrics: unknown): Promise<void> {
    const ref = typeof guestMetrics === 'string' && !isNullRef(guestMetrics) ? guestMetrics : null;
    for (const [r, o] of this.owners) if (o.vmId === owner.vmId && r !== ref) this.owners.delete(r);
    if (!ref) return this.record(owner, NONE);
    this.owners.set(ref, owner);
    const report = this.reports.get(ref);
    if (report) await this.record(owner, report);
  }

  async onMetrics(event: XapiWatchEvent): Promise<void> {
    if (event.kind === 'sync') {
      this.reports.clear();
      for (const [ref, r] of Object.entries(event.records)) await this.report(ref, r);
    } else if (event.kind === 'del') {
      this.reports.delete(event.ref);
      const owner = this.owners.get(event.ref);
      if (owner) await this.record(owner, NONE);
    } else if (event.snapshot) {
      await this.report(event.ref, event.snapshot);
    }
  }

  private async report(ref: string, record: XapiRecord): Promise<void> {
    const networks = (record.networks ?? {}) as Record<string, string>;
    // As xapi decides for a guest (xapi_vbd_helpers.ml) and the attach handler does: the agent's word, else PV drivers.
    const hotplug = record.can_use_hotplug_vbd;
    const report = { networks, hotplugVbd: hotplug === 'yes' || (hotplug === 'unspecified' && record.PV_drivers_detected === true) };
    this.reports.set(ref, report);
    const owner = this.owners.get(ref);
    if (owner) await this.record(owner, report);
  }

  private async record(owner: Owner, report: Report | null): Promise<void> {
    const byDevice = Object.fromEntries(Object.entries(addressesOf(report?.networks ?? {})).map(([device, a]) => [device, [...a.ipv4, ...a.ipv6]]));
    await this.nics.recordGuestIps(this.db, owner.tenantId, owner.vmId, byDevice);
    await this.vms?.recordHotplug(this.db, owner.tenantId, owner.vmId, report ? report.hotplugVbd : null);
  }
}
