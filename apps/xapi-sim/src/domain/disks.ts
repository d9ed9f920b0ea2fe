// Disks: VDIs on an SR with thick space accounting, VBDs joining them to VMs, device-number allocation.
import type { XRecord } from '../datamodel/defaults.js';
import type { SimState } from '../sim/sim-state.js';
import { fail } from '../rpc/xapi-error.js';
import { isNullRef } from '../util/ids.js';
import { refreshDeviceOperations } from './device-lifecycle.js';

export const vdiOperations = ['clone', 'copy', 'resize', 'snapshot', 'destroy', 'forget', 'update', 'generate_config'];

export function srFreeSpace(sim: SimState, srRef: string): number {
  const sr = sim.store.mustGet('SR', srRef);
  return Number(sr.physical_size) - Number(sr.physical_utilisation);
}

// Throws SR_FULL unless `bytes` more fit on the SR.
export function assertSrSpace(sim: SimState, srRef: string, bytes: number): void {
  const free = srFreeSpace(sim, srRef);
  if (bytes > free) fail('SR_FULL', bytes, free);
}

function chargeSr(sim: SimState, srRef: string, bytes: number): void {
  const sr = sim.store.mustGet('SR', srRef);
  sim.store.update('SR', srRef, {
    physical_utilisation: Number(sr.physical_utilisation) + bytes,
    virtual_allocation: Number(sr.virtual_allocation) + bytes,
  });
}

export function createVdi(sim: SimState, values: XRecord): string {
  const srRef = String(values.SR);
  sim.store.mustGet('SR', srRef);
  const size = Number(values.virtual_size ?? 0);
  if (size < 0) fail('INVALID_VALUE', 'virtual_size', size);
  assertSrSpace(sim, srRef, size);
  const ref = sim.store.create('VDI', {
    type: 'user', ...values, physical_utilisation: size, managed: true, missing: false, storage_lock: false,
    allowed_operations: vdiOperations,
  });
  sim.store.update('VDI', ref, { location: sim.store.get('VDI', ref)!.uuid! });
  chargeSr(sim, srRef, size);
  return ref;
}

// xapi refuses while any VBD has it attached, else drops its VBDs along with it.
export function destroyVdi(sim: SimState, vdiRef: string): void {
  const vdi = sim.store.mustGet('VDI', vdiRef);
  const vbds = (vdi.VBDs as string[]).filter((r) => sim.store.get('VBD', r));
  if (vbds.some((r) => sim.store.get('VBD', r)!.currently_attached === true)) fail('VDI_IN_USE', vdiRef, 'destroy');
  for (const r of vbds) sim.store.destroy('VBD', r);
  sim.store.destroy('VDI', vdiRef);
  if (sim.store.get('SR', String(vdi.SR))) chargeSr(sim, String(vdi.SR), -Number(vdi.physical_utilisation));
}

export function usedDevices(sim: SimState, vm: XRecord, cls: 'VBD' | 'VIF'): Set<string> {
  const refs = (cls === 'VBD' ? vm.VBDs : vm.VIFs) as string[];
  const field = cls === 'VBD' ? 'userdevice' : 'device';
  return new Set(refs.map((r) => sim.store.get(cls, r)?.[field]).filter((d): d is string => typeof d === 'string'));
}

// xapi offers 0..15 for disks and 0..6 for NICs on an HVM guest.
export function allowedDevices(sim: SimState, vm: XRecord, cls: 'VBD' | 'VIF'): string[] {
  const used = usedDevices(sim, vm, cls);
  const count = cls === 'VBD' ? 16 : 7;
  return Array.from({ length: count }, (_, i) => String(i)).filter((d) => !used.has(d));
}

export function createVbd(sim: SimState, values: XRecord): string {
  const vmRef = String(values.VM);
  const vm = sim.store.mustGet('VM', vmRef);
  const empty = values.empty === true;
  if (!empty || !isNullRef(values.VDI)) sim.store.mustGet('VDI', String(values.VDI));
  let userdevice = String(values.userdevice ?? '');
  if (userdevice === 'autodetect' || userdevice === '') userdevice = allowedDevices(sim, vm, 'VBD')[0] ?? fail('DEVICE_ALREADY_EXISTS', userdevice);
  if (usedDevices(sim, vm, 'VBD').has(userdevice)) fail('DEVICE_ALREADY_EXISTS', userdevice);
  const ref = sim.store.create('VBD', {
    mode: 'RW', type: 'Disk', bootable: false, unpluggable: true, ...values, userdevice, currently_attached: false,
  });
  refreshDeviceOperations(sim, 'VBD', ref);
  return ref;
}

export function vbdDeviceName(userdevice: string): string {
  return `xvd${String.fromCharCode(97 + (Number(userdevice) % 26))}`;
}
