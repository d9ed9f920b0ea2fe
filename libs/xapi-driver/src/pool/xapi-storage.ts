import type { Readable } from 'node:stream';
import type { XapiClient } from '../client/xapi-client.js';
import { exportVdi, importVdi, type ExportVdiOptions, type ImportVdiOptions } from './vdi-transfer.js';
import { destroyObject, resolveSr, vbdsOfVdi, type VbdOfVdi } from './vdi-ops.js';
import { NULL_REF, isNullRef } from './xapi-refs.js';
import { setMapKey } from './vm-provisioner.js';
import { destroySnapshotVm } from './vm-lifecycle.js';
import { diskVdisBesidesRoot, findSnapshotVm, refByUuid, vdiSnapshots, type VdiSnapshot } from './snapshot-ops.js';
import { findRootDisk } from './template-disks.js';
import {
  createMarkedVdi,
  createMarkedVdiRef,
  destroyMarkedVdi,
  findVdisByOtherConfig,
  rootDiskSr,
  type MarkedVdi,
  type NewVdiSpec,
} from './marked-vdis.js';

/** A new object's handles: the ref for this session, the uuid to persist. */
export interface Handle {
  ref: string;
  uuid: string;
}

/** What VBD.create needs; `empty` CD drives take `vdiRef: null`. */
export interface VbdSpec {
  vmRef: string;
  vdiRef: string | null;
  /** "autodetect" (default) or a disk number */
  userdevice?: string;
  type?: 'Disk' | 'CD';
  mode?: 'RW' | 'RO';
  bootable?: boolean;
  unpluggable?: boolean;
}

/** The guest-agent view of a running VM (VM_guest_metrics). */
export interface GuestMetrics {
  /** raw as XAPI keys it: `0/ip`, `0/ipv4/0`, `0/ipv6/0` ... */
  networks: Record<string, string>;
  /** per VIF device: its addresses, in the guest's order */
  addresses: Record<string, { ipv4: string[]; ipv6: string[] }>;
  pvDriversDetected: boolean;
  pvDriversVersion: Record<string, string>;
  osVersion: Record<string, string>;
  canUseHotplugVbd: 'yes' | 'no' | 'unspecified';
  canUseHotplugVif: 'yes' | 'no' | 'unspecified';
}

/** Groups `0/ipv4/1`-style keys by device and family (`<d>/ip` duplicates `<d>/ipv4/0`). */
export function addressesOf(networks: Record<string, string>): GuestMetrics['addresses'] {
  const out: GuestMetrics['addresses'] = {};
  const keys = Object.keys(networks)
    .filter((k) => /^\d+\/ipv[46]\/\d+$/.test(k))
    .sort((a, b) => Number(a.split('/')[2]) - Number(b.split('/')[2]));
  for (const key of keys) {
    const [device, family] = key.split('/') as [string, 'ipv4' | 'ipv6'];
    (out[device] ??= { ipv4: [], ipv6: [] })[family].push(networks[key]);
  }
  for (const [key, addr] of Object.entries(networks)) {
    const m = /^(\d+)\/ip$/.exec(key);
    if (m && !out[m[1]]) out[m[1]] = { ipv4: [addr], ipv6: [] };
  }
  return out;
}

/** Snapshots, disk copies and contents, and devices of one pool (typed wrappers over XAPI calls and HTTP handlers). */
export class XapiStorage {
  constructor(readonly client: XapiClient) {}

  private async handle(cls: string, ref: string): Promise<Handle> {
    return { ref, uuid: await this.client.call<string>(`${cls}.get_uuid`, ref) };
  }

  /** VM.snapshot: a Halted snapshot VM whose disks are VDI snapshots (except `ignoreVdis`). */
  async snapshotVm(vmRef: string, name: string, ignoreVdis: string[] = []): Promise<Handle> {
    return this.handle('VM', await this.client.callAsync<string>('VM.snapshot', vmRef, name, ignoreVdis));
  }

  /** VM.checkpoint: a snapshot with the memory of a running VM (which keeps running). */
  async checkpointVm(vmRef: string, name: string): Promise<Handle> {
    return this.handle('VM', await this.client.callAsync<string>('VM.checkpoint', vmRef, name));
  }

  /** VM.revert: the snapshot's VM takes the snapshot's disks, settings and power state back. */
  async revertVm(snapshotRef: string): Promise<void> {
    await this.client.callAsync('VM.revert', snapshotRef);
  }

  /** The VM's snapshots, oldest first. */
  async listSnapshots(vmRef: string): Promise<Array<Handle & { name: string; time: Date; powerState: string }>> {
    const out = [];
    for (const ref of await this.client.call<string[]>('VM.get_snapshots', vmRef)) {
      const r = await this.client.call<{ uuid: string; name_label: string; snapshot_time: Date; power_state: string }>('VM.get_record', ref);
      out.push({ ref, uuid: r.uuid, name: r.name_label, time: r.snapshot_time, powerState: r.power_state });
    }
    return out.sort((a, b) => a.time.getTime() - b.time.getTime());
  }

  /** The snapshot VM VM.snapshot named `nameLabel` (how a retried step finds what a crashed one made), or null. */
  findSnapshotVm(nameLabel: string): Promise<Handle | null> {
    return findSnapshotVm(this.client, nameLabel);
  }

  /** The VM's disks other than its boot disk (volumes, config drive): what a snapshot of the VM alone ignores. */
  diskVdisBesidesRoot(vmRef: string): Promise<string[]> {
    return diskVdisBesidesRoot(this.client, vmRef);
  }

  /** A snapshot VM and its disks (disks first: a crash between leaves the record to find again); gone already = done. */
  /** True when this call destroyed it; false when it was gone already. */
  destroySnapshotVm(ref: string): Promise<boolean> {
    return destroySnapshotVm(this.client, ref);
  }

  vdiSnapshots(vdiRef: string): Promise<VdiSnapshot[]> {
    return vdiSnapshots(this.client, vdiRef);
  }

  /** A VM's or VDI's ref by uuid; null when the pool has none. */
  refByUuid(cls: 'VM' | 'VDI', uuid: string): Promise<string | null> {
    return refByUuid(this.client, cls, uuid);
  }

  async snapshotVdi(vdiRef: string, driverParams: Record<string, string> = {}): Promise<Handle> {
    return this.handle('VDI', await this.client.callAsync<string>('VDI.snapshot', vdiRef, driverParams));
  }

  async cloneVdi(vdiRef: string, driverParams: Record<string, string> = {}): Promise<Handle> {
    return this.handle('VDI', await this.client.callAsync<string>('VDI.clone', vdiRef, driverParams));
  }

  /**
   * Gives a clone of a template the image's golden disk as its boot disk (wave2 §3.7): no disks of the template's
   * own (other_config.disks dropped before VM.provision), a VDI.clone of the golden (copy-on-write, same SR)
   * re-marked for this VM, plugged as userdevice 0. Repeatable: an attached boot disk, or a clone marked for the VM,
   * is used again.
   */
  async attachImageDisk(vmRef: string, goldenUuid: string, goldenKey: string, mark: { key: string; value: string }): Promise<Handle> {
    if (await this.client.call<boolean>('VM.get_is_a_template', vmRef)) {
      await this.client.call('VM.remove_from_other_config', vmRef, 'disks').catch(() => undefined);
    }
    const root = await findRootDisk(this.client, await this.client.call<string[]>('VM.get_VBDs', vmRef));
    if (root) return { ref: root.vdi, uuid: await this.client.call<string>('VDI.get_uuid', root.vdi) };
    let disk: Handle | null = await this.findVdiByOtherConfig(mark.key, mark.value);
    if (!disk) {
      disk = await this.cloneVdi(await this.client.call<string>('VDI.get_by_uuid', goldenUuid));
      // VDI.clone copies other_config: the clone is this VM's disk, not the image's.
      await this.client.call('VDI.remove_from_other_config', disk.ref, goldenKey).catch(() => undefined);
      await this.setVdiOtherConfig(disk.ref, mark.key, mark.value);
    }
    await this.createVbd({ vmRef, vdiRef: disk.ref, userdevice: '0', bootable: true, mode: 'RW', type: 'Disk' });
    return disk;
  }

  /** VDI.copy: to a new VDI on `srRef`, or into `intoRef`; with `baseRef`, only the blocks that differ from it. */
  async copyVdi(vdiRef: string, to: { srRef?: string; intoRef?: string; baseRef?: string }): Promise<Handle> {
    const ref = await this.client.callAsync<string>('VDI.copy', vdiRef, to.srRef ?? NULL_REF, to.baseRef ?? NULL_REF, to.intoRef ?? NULL_REF);
    return this.handle('VDI', ref);
  }

  /** Uploads a disk image into the VDI; resolves when XAPI's task succeeded. */
  importVdi(vdiRef: string, source: Readable, opts: ImportVdiOptions): Promise<void> {
    return importVdi(this.client, vdiRef, source, opts);
  }

  /** The VDI's content as a stream that ends once XAPI's task succeeded. */
  exportVdi(vdiRef: string, opts: ExportVdiOptions = {}): Promise<Readable> {
    return exportVdi(this.client, vdiRef, opts);
  }

  /** VDIs we made for `value`, found by their other_config marker `key` (a retried step looks before it creates). */
  findVdisByOtherConfig(key: string, value: string): Promise<MarkedVdi[]> {
    return findVdisByOtherConfig(this.client, key, value);
  }

  createVdi(spec: NewVdiSpec): Promise<Handle> {
    return createMarkedVdi(this.client, spec);
  }

  /** VDI.create alone: the ref, for a VDI whose marker is all that finds it again. */
  createVdiRef(spec: NewVdiSpec): Promise<string> {
    return createMarkedVdiRef(this.client, spec);
  }

  /** Unplugs and destroys a VDI (and so its VBDs); gone already = done. */
  /** True when this call destroyed it; false when it was gone already. */
  destroyVdi(ref: string): Promise<boolean> {
    return destroyMarkedVdi(this.client, ref);
  }

  /** Adds or replaces one other_config key of a VDI. */
  setVdiOtherConfig(ref: string, key: string, value: string): Promise<void> {
    return setMapKey(this.client, 'VDI', 'other_config', ref, key, value);
  }

  rootDiskSr(vmRef: string): Promise<string | null> {
    return rootDiskSr(this.client, vmRef);
  }

  /** A VM's boot disk (userdevice 0, else the first bootable one): its VDI, size and SR, or null without one. */
  async rootDisk(vmRef: string): Promise<{ ref: string; bytes: number; srRef: string } | null> {
    const root = await findRootDisk(this.client, await this.client.call<string[]>('VM.get_VBDs', vmRef));
    return root ? { ref: root.vdi, bytes: root.bytes, srRef: await this.client.call<string>('VDI.get_SR', root.vdi) } : null;
  }

  /** The one VDI we made for `value` (a volume has one), or null. */
  async findVdiByOtherConfig(key: string, value: string): Promise<Handle | null> {
    const [first] = await findVdisByOtherConfig(this.client, key, value);
    return first ? { ref: first.ref, uuid: first.uuid } : null;
  }

  /** The SR named by uuid (null: the pool's default SR) and its free bytes. */
  resolveSr(srUuid: string | null): Promise<{ ref: string; freeBytes: number }> {
    return resolveSr(this.client, srUuid);
  }

  /** VDI.resize: XAPI refuses it while a VBD of the VDI is plugged. */
  async resizeVdi(vdiRef: string, bytes: number): Promise<void> {
    await this.client.callAsync('VDI.resize', vdiRef, bytes);
  }

  async vdiSize(vdiRef: string): Promise<number> {
    return Number(await this.client.call<number>('VDI.get_virtual_size', vdiRef));
  }

  vbdsOfVdi(vdiRef: string): Promise<VbdOfVdi[]> {
    return vbdsOfVdi(this.client, vdiRef);
  }

  /** VBD.destroy (the VBD must be unplugged); gone already counts as done. */
  destroyVbd(vbdRef: string): Promise<void> {
    return destroyObject(this.client, 'VBD', vbdRef);
  }

  async createVbd(spec: VbdSpec): Promise<Handle> {
    return this.handle('VBD', await this.createVbdRef(spec));
  }

  /** VBD.create alone: the ref. */
  createVbdRef(spec: VbdSpec): Promise<string> {
    const type = spec.type ?? 'Disk';
    return this.client.call<string>('VBD.create', {
      VM: spec.vmRef,
      VDI: spec.vdiRef ?? NULL_REF,
      userdevice: spec.userdevice ?? 'autodetect',
      bootable: spec.bootable ?? false,
      mode: spec.mode ?? (type === 'CD' ? 'RO' : 'RW'),
      type,
      unpluggable: spec.unpluggable ?? true,
      empty: spec.vdiRef === null,
      other_config: {},
      qos_algorithm_type: '',
      qos_algorithm_params: {},
    });
  }

  /** Hot-plugs a VBD into a running VM (XAPI needs PV drivers on HVM guests: VM_MISSING_PV_DRIVERS otherwise). */
  async plugVbd(vbdRef: string): Promise<void> {
    await this.client.callAsync('VBD.plug', vbdRef);
  }

  /** Hot-unplugs; `force` skips the guest's consent (a refusal is DEVICE_DETACH_REJECTED). */
  async unplugVbd(vbdRef: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.client.callAsync(opts.force ? 'VBD.unplug_force' : 'VBD.unplug', vbdRef);
  }

  async insertCd(vbdRef: string, vdiRef: string): Promise<void> {
    await this.client.callAsync('VBD.insert', vbdRef, vdiRef);
  }

  async ejectCd(vbdRef: string): Promise<void> {
    await this.client.callAsync('VBD.eject', vbdRef);
  }

  allowedVbdDevices(vmRef: string): Promise<string[]> {
    return this.client.call<string[]>('VM.get_allowed_VBD_devices', vmRef);
  }

  /** The guest agent's report, or null when the VM has none (not running, or no guest tools). */
  async guestMetrics(vmRef: string): Promise<GuestMetrics | null> {
    const ref = await this.client.call<string>('VM.get_guest_metrics', vmRef);
    if (isNullRef(ref)) return null;
    const r = await this.client.call<Record<string, unknown>>('VM_guest_metrics.get_record', ref).catch(() => null);
    if (!r) return null;
    const networks = (r.networks ?? {}) as Record<string, string>;
    return {
      networks,
      addresses: addressesOf(networks),
      pvDriversDetected: r.PV_drivers_detected === true,
      pvDriversVersion: (r.PV_drivers_version ?? {}) as Record<string, string>,
      osVersion: (r.os_version ?? {}) as Record<string, string>,
      canUseHotplugVbd: r.can_use_hotplug_vbd as GuestMetrics['canUseHotplugVbd'],
      canUseHotplugVif: r.can_use_hotplug_vif as GuestMetrics['canUseHotplugVif'],
    };
  }
}
