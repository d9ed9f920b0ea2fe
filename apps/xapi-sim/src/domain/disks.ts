// Disks: VDIs on an SR with thick space accounting, VBDs joining them to VMs, device-number allocation.
import type { XRecord } from '../datamodel/defaults.js';
import type { SimState } from '../sim/sim-state.js';
import { fail } from '../rpc/xapi-error.js';
import { isNullRef } from '../util/ids.js';
import { refreshDeviceOperations } from './device-lifecycle.js';
import { isThinSr, refreshVdiAllowedOperations, vdiOperations } from './vdi-rules.js';
import { scalar } from '../datamodel/defaults.js';

export { vdiOperations };

export function srFreeSpace(sim: SimState, srRef: string): number {
  const sr = sim.store.mustGet('SR', srRef);
  return Number(sr.physical_size) - Number(sr.physical_utilisation);
}

// Throws SR_FULL unless `bytes` more fit on the SR.
export function assertSrSpace(sim: SimState, srRef: string, bytes: number): void {
  const free = srFreeSpace(sim, srRef);
  if (bytes > free) fail('SR_FULL', bytes, free);
}

export function chargeSr(sim: SimState, srRef: string, physical: number, virtual = physical): void {
  const sr = sim.store.mustGet('SR', srRef);
  sim.store.update('SR', srRef, {
    physical_utilisation: Number(sr.physical_utilisation) + physical,
    virtual_allocation: Number(sr.virtual_allocation) + virtual,
  });
}

export function createVdi(sim: SimState, values: XRecord): string {
  const srRef = scalar(values.SR);
  sim.store.mustGet('SR', srRef);
  const size = Number(values.virtual_size ?? 0);
  if (size < 0) fail('INVALID_VALUE', 'virtual_size', size);
  // thin SRs allocate as data lands (physical_utilisation follows the content), thick ones up front
  const physical = isThinSr(sim.store.mustGet('SR', srRef)) ? 0 : size;
  assertSrSpace(sim, srRef, physical);
  const ref = sim.store.create('VDI', {
    type: 'user',
    ...values,
    physical_utilisation: physical,
    managed: true,
    missing: false,
    storage_lock: false,
    allowed_operations: vdiOperations,
  });
  sim.store.update('VDI', ref, { location: sim.store.get('VDI', ref)!.uuid! });
  chargeSr(sim, srRef, physical, size);
  return ref;
}

// xapi refuses while any VBD has it attached, else drops its VBDs along with it.
export function destroyVdi(sim: SimState, vdiRef: string): void {
  const vdi = sim.store.mustGet('VDI', vdiRef);
  const vbds = (vdi.VBDs as string[]).filter((r) => sim.store.get('VBD', r));
  if (vbds.some((r) => sim.store.get('VBD', r)!.currently_attached === true)) fail('VDI_IN_USE', vdiRef, 'destroy');
  for (const r of vbds) sim.store.destroy('VBD', r);
  sim.store.destroy('VDI', vdiRef);
  void sim.content.remove(scalar(vdi.uuid)).catch(() => undefined);
  if (sim.store.get('SR', scalar(vdi.SR))) chargeSr(sim, scalar(vdi.SR), -Number(vdi.physical_utilisation), -Number(vdi.virtual_size));
}

// A VBD device string as a disk number: "3", "xvdd", "hdd", "sdd" are all disk 3 (Device_number.of_string).
export function diskNumber(device: string): number | undefined {
  if (/^\d+$/.test(device)) return Number(device);
  const m = /^(?:xvd|hd|sd)([a-z]+)$/.exec(device);
  return m ? [...m[1]].reduce((n, c) => n * 26 + c.charCodeAt(0) - 96, 0) - 1 : undefined;
}

// VBDs count both userdevice and device (ocaml/xapi/xapi_vm_helpers.ml all_used_VBD_devices); VIFs their device.
export function usedDevices(sim: SimState, vm: XRecord, cls: 'VBD' | 'VIF'): Set<string> {
  const refs = (cls === 'VBD' ? vm.VBDs : vm.VIFs) as string[];
  const out = new Set<string>();
  for (const r of refs) {
    const dev = sim.store.get(cls, r);
    if (!dev) continue;
    if (cls === 'VIF') out.add(scalar(dev.device));
    else for (const d of [scalar(dev.userdevice), scalar(dev.device)]) if (diskNumber(d) !== undefined) out.add(String(diskNumber(d)));
  }
  return out;
}

// xapi_vm_helpers.ml: disks 0..254 and NICs 0..15, HVM and PV alike; dom0 gets one disk more.
export function allowedDevices(sim: SimState, vm: XRecord, cls: 'VBD' | 'VIF'): string[] {
  const used = usedDevices(sim, vm, cls);
  const count = cls === 'VIF' ? 16 : vm.is_control_domain === true ? 256 : 255;
  return Array.from({ length: count }, (_, i) => String(i)).filter((d) => !used.has(d));
}

// VBD.create with xapi's constructor rules (ocaml/xapi/xapi_vbd.ml create).
export function createVbd(sim: SimState, values: XRecord): string {
  const vmRef = scalar(values.VM);
  const vm = sim.store.mustGet('VM', vmRef);
  const v: XRecord = { mode: 'RW', type: 'Disk', bootable: false, unpluggable: true, empty: false, ...values };
  const empty = v.empty === true;
  const vdi = isNullRef(v.VDI) && empty ? undefined : sim.store.mustGet('VDI', scalar(v.VDI));
  if (v.type === 'CD' && v.mode !== 'RO') fail('VBD_CDS_MUST_BE_READONLY');
  if (v.type !== 'CD' && empty) fail('VBD_NOT_REMOVABLE_MEDIA', 'in constructor');
  if (v.mode === 'RW' && vdi?.read_only === true) fail('VDI_READONLY', scalar(v.VDI));
  let userdevice = scalar(v.userdevice ?? '');
  if (userdevice !== 'autodetect' && diskNumber(userdevice) === undefined) fail('INVALID_DEVICE', userdevice);
  if (userdevice === 'autodetect') userdevice = allowedDevices(sim, vm, 'VBD')[0] ?? fail('INVALID_DEVICE', userdevice);
  if (usedDevices(sim, vm, 'VBD').has(String(diskNumber(userdevice)))) fail('DEVICE_ALREADY_EXISTS', userdevice);
  const suspended = vm.power_state === 'Suspended';
  const ref = sim.store.create('VBD', {
    ...v,
    userdevice,
    device: suspended ? scalar(v.device ?? '') : '',
    currently_attached: suspended && v.currently_attached === true,
    allowed_operations: [],
  });
  refreshDeviceOperations(sim, 'VBD', ref);
  if (vdi) refreshVdiAllowedOperations(sim, scalar(v.VDI));
  return ref;
}

export function vbdDeviceName(userdevice: string): string {
  return `xvd${String.fromCharCode(97 + (Number(userdevice) % 26))}`;
}
