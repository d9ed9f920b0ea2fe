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
  /** Each VM's metrics ref in `owners`, so a VM seen again finds its old ref without a scan. */
  private readonly metricsOf = new Map<string, string>();
  private readonly reports = new Map<string, Report>();

  constructor(
    private readonly nics: VmNicRepository,
    private readonly db: EntityManager,
    private readonly vms?: VmRepository,
  ) {}

  /** A VM of ours was seen: its guest metrics ref, or none (halted: xapi drops them, and the addresses with them). */
  async onVm(owner: Owner, guestMetrics: unknown): Promise<void> {
    const report = this.seeVm(owner, guestMetrics);
    if (report !== undefined) await this.record(owner, report);
  }

  /** `onVm` for a full view's VMs, written set-based. */
  async onVms(seen: { owner: Owner; guestMetrics: unknown }[]): Promise<void> {
    const known: [Owner, Report | null][] = [];
    for (const { owner, guestMetrics } of seen) {
      const report = this.seeVm(owner, guestMetrics);
      if (report !== undefined) known.push([owner, report]);
    }
    await this.recordAll(known);
  }

  async onMetrics(event: XapiWatchEvent): Promise<void> {
    if (event.kind === 'sync') {
      this.reports.clear();
      const known: [Owner, Report][] = [];
      for (const [ref, r] of Object.entries(event.records)) {
        const owner = this.report(ref, r);
        if (owner) known.push([owner, this.reports.get(ref)!]);
      }
      await this.recordAll(known);
    } else if (event.kind === 'del') {
      this.reports.delete(event.ref);
      const owner = this.owners.get(event.ref);
      if (owner) await this.record(owner, NONE);
    } else if (event.snapshot) {
      const owner = this.report(event.ref, event.snapshot);
      if (owner) await this.record(owner, this.reports.get(event.ref)!);
    }
  }

  /** Remembers the VM's metrics ref; answers what to record now (undefined: nothing, its metrics are not seen yet). */
  private seeVm(owner: Owner, guestMetrics: unknown): Report | null | undefined {
    const ref = typeof guestMetrics === 'string' && !isNullRef(guestMetrics) ? guestMetrics : null;
    const old = this.metricsOf.get(owner.vmId);
    if (old !== undefined && old !== ref) {
      this.owners.delete(old);
      this.metricsOf.delete(owner.vmId);
    }
    if (!ref) return NONE;
    this.owners.set(ref, owner);
    this.metricsOf.set(owner.vmId, ref);
    return this.reports.get(ref);
  }

  /** Remembers the metrics' report; answers the VM it belongs to, when known. */
  private report(ref: string, record: XapiRecord): Owner | undefined {
    const networks = (record.networks ?? {}) as Record<string, string>;
    // As xapi decides for a guest (xapi_vbd_helpers.ml) and the attach handler does: the agent's word, else PV drivers.
    const hotplug = record.can_use_hotplug_vbd;
    const report = { networks, hotplugVbd: hotplug === 'yes' || (hotplug === 'unspecified' && record.PV_drivers_detected === true) };
    this.reports.set(ref, report);
    return this.owners.get(ref);
  }

  private async record(owner: Owner, report: Report | null): Promise<void> {
    await this.nics.recordGuestIps(this.db, owner.tenantId, owner.vmId, byDevice(report));
    await this.vms?.recordHotplug(this.db, owner.tenantId, owner.vmId, report ? report.hotplugVbd : null);
  }

  private async recordAll(known: [Owner, Report | null][]): Promise<void> {
    if (!known.length) return;
    await this.nics.recordGuestIpsMany(
      this.db,
      known.map(([o, report]) => ({ tenantId: o.tenantId, vmId: o.vmId, byDevice: byDevice(report) })),
    );
    await this.vms?.recordHotplugMany(
      this.db,
      known.map(([o, report]) => ({ tenantId: o.tenantId, id: o.vmId, hotplugVbd: report ? report.hotplugVbd : null })),
    );
  }
}

/** The addresses per VIF device the report gives (none: no report). */
function byDevice(report: Report | null): Record<string, string[]> {
  return Object.fromEntries(Object.entries(addressesOf(report?.networks ?? {})).map(([device, a]) => [device, [...a.ipv4, ...a.ipv6]]));
}
