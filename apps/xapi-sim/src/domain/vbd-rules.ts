// VBD and VIF operation checks in xapi's order (ocaml/xapi/xapi_vbd_helpers.ml, xapi_vif_helpers.ml valid_operations).
import type { XRecord } from '../datamodel/defaults.js';
import { fail } from '../rpc/xapi-error.js';
import type { SimState } from '../sim/sim-state.js';
import { isNullRef } from '../util/ids.js';
import { refreshVdiAllowedOperations } from './vdi-rules.js';

export const vbdOperations = ['attach', 'eject', 'unplug', 'unplug_force', 'insert', 'plug', 'pause', 'unpause'];
export const vifOperations = ['attach', 'plug', 'unplug'];
type Errors = Map<string, string[]>;

const stopping = new Set(['clean_shutdown', 'hard_shutdown', 'suspend', 'pause']);

// First error set wins, as in xapi's set_errors.
function setter(table: Errors) {
  return (error: string[], ops: string[]) => {
    for (const op of ops) if (!table.has(op)) table.set(op, error);
  };
}

function guestMetrics(sim: SimState, vm: XRecord): XRecord | undefined {
  return isNullRef(vm.guest_metrics) ? undefined : sim.store.get('VM_guest_metrics', String(vm.guest_metrics));
}

// Xapi_pv_driver_version.of_guest_metrics: drivers count when PV_drivers_version has parseable major and minor.
function hasPvDrivers(gm: XRecord | undefined): boolean {
  const v = (gm?.PV_drivers_version ?? {}) as Record<string, string>;
  return /^-?\d+$/.test(v.major ?? '') && /^-?\d+$/.test(v.minor ?? '');
}

// HVM hot-plug needs the guest's word (can_use_hotplug_*) or PV drivers (xapi_vbd_helpers.ml / xapi_vif_helpers.ml).
function hotplugError(sim: SimState, vmRef: string, vm: XRecord, kind: 'vbd' | 'vif'): string[] | undefined {
  if (vm.power_state !== 'Running' || vm.domain_type !== 'hvm') return undefined;
  const gm = guestMetrics(sim, vm);
  const claim = gm?.[`can_use_hotplug_${kind}`];
  if (claim === 'yes') return undefined;
  if (claim === 'no') return ['OPERATION_NOT_ALLOWED', `VM states it does not support ${kind.toUpperCase()} hotplug.`];
  if (gm?.PV_drivers_detected === true) return undefined;
  return hasPvDrivers(gm) ? undefined : ['VM_MISSING_PV_DRIVERS', vmRef];
}

function powerErrors(set: ReturnType<typeof setter>, ref: string, vmRef: string, vm: XRecord, dev: XRecord, unplugOps: string[]): void {
  const plugged = dev.currently_attached === true || dev.reserved === true;
  if (vm.power_state === 'Running') {
    if (plugged) set(['DEVICE_ALREADY_ATTACHED', ref], ['plug']);
    else set(['DEVICE_ALREADY_DETACHED', ref], unplugOps);
  }
}

export function vbdOperationErrors(sim: SimState, ref: string, vbd: XRecord): Errors {
  const table: Errors = new Map();
  const set = setter(table);
  const current = Object.entries(vbd.current_operations as Record<string, string>);
  const vmRef = String(vbd.VM);
  const vm = sim.store.mustGet('VM', vmRef);
  if (current.length > 0) set(['OTHER_OPERATION_IN_PROGRESS', 'VBD', ref, current[0]![1], current[0]![0]], vbdOperations.filter((o) => o !== 'pause' && o !== 'unpause'));
  if (vbd.unpluggable !== true) set(['VBD_NOT_UNPLUGGABLE', ref], ['unplug', 'unplug_force']);
  if (vbd.type !== 'CD') set(['VBD_NOT_REMOVABLE_MEDIA', ref], ['insert', 'eject']);
  if (vbd.empty === true) set(['VBD_IS_EMPTY', ref], ['eject']);
  else set(['VBD_NOT_EMPTY', ref], ['insert']);
  powerErrors(set, ref, vmRef, vm, vbd, ['unplug', 'unplug_force']);
  if (vm.power_state !== 'Running') {
    const bad = ['plug', 'unplug', 'unplug_force', ...(vm.power_state === 'Paused' ? [] : ['pause', 'unpause'])];
    set(['VM_BAD_POWER_STATE', vmRef, 'running', String(vm.power_state).toLowerCase()], bad);
  }
  for (const op of Object.values(vm.current_operations as Record<string, string>)) {
    if (stopping.has(op)) set(['OPERATION_NOT_ALLOWED', `Current operation on VM:${vmRef} is ${op}`], ['plug', 'unplug']);
  }
  const hot = hotplugError(sim, vmRef, vm, 'vbd');
  if (hot) set(hot, ['plug', 'unplug', 'unplug_force']);
  if (vm.power_state === 'Running' && vm.domain_type === 'hvm' && vbd.type === 'CD') {
    set(['OPERATION_NOT_ALLOWED', 'HVM CDROMs cannot be hotplugged/unplugged, only inserted or ejected'], ['plug', 'unplug', 'unplug_force']);
  }
  if (vbd.type === 'CD' && vm.power_state === 'Suspended') set(['VM_BAD_POWER_STATE', vmRef, 'halted, running', 'suspended'], ['insert', 'eject']);
  if (vbd.empty !== true) vdiSharingErrors(sim, ref, vbd, set);
  return table;
}

// Another writer (or any user, when we write) holds a non-sharable VDI: VDI_IN_USE; a RW VBD on a RO VDI: VDI_READONLY.
function vdiSharingErrors(sim: SimState, ref: string, vbd: XRecord, set: ReturnType<typeof setter>): void {
  const vdiRef = String(vbd.VDI);
  const vdi = sim.store.get('VDI', vdiRef);
  if (!vdi) return;
  if (vdi.managed !== true) set(['VDI_NOT_MANAGED', ref], vbdOperations);
  const busy = Object.entries(vdi.current_operations as Record<string, string>).find(([, op]) => op !== 'copy' && op !== 'mirror');
  if (busy) set(['OTHER_OPERATION_IN_PROGRESS', 'VDI', vdiRef, busy[1], busy[0]], ['attach', 'plug', 'insert']);
  if (vbd.currently_attached === true) return;
  const err = vdiAttachError(sim, vdiRef, vbd.mode === 'RW', ref);
  if (err) set(err, ['attach', 'insert', 'plug']);
}

// The sharing check a block attach makes (also for dom0 attaching a VDI to import or export it).
export function vdiAttachError(sim: SimState, vdiRef: string, write: boolean, except?: string): string[] | undefined {
  const vdi = sim.store.mustGet('VDI', vdiRef);
  const others = (vdi.VBDs as string[]).filter((r) => r !== except).map((r) => sim.store.get('VBD', r)).filter((v): v is XRecord => {
    if (!v) return false;
    const owner = sim.store.get('VM', String(v.VM));
    const live = v.currently_attached === true || v.reserved === true || Object.keys(v.current_operations as object).length > 0;
    return live && owner?.power_state !== 'Suspended' && owner?.is_control_domain !== true;
  });
  const rw = others.some((v) => v.mode === 'RW');
  if (vdi.sharable !== true && (rw || (write && others.length > 0))) return ['VDI_IN_USE', vdiRef];
  if (write && vdi.read_only === true) return ['VDI_READONLY', vdiRef];
  return undefined;
}

export function vifOperationErrors(sim: SimState, ref: string, vif: XRecord): Errors {
  const table: Errors = new Map();
  const set = setter(table);
  const current = Object.entries(vif.current_operations as Record<string, string>);
  const vmRef = String(vif.VM);
  const vm = sim.store.mustGet('VM', vmRef);
  if (current.length > 0) set(['OTHER_OPERATION_IN_PROGRESS', 'VIF', ref, `{${current.map(([, o]) => o).join('; ')}}`, `{${current.map(([r]) => r).join('; ')}}`], vifOperations);
  if (vm.is_control_domain === true) set(['OPERATION_NOT_ALLOWED', 'Control domain does not support hotplug'], ['plug']);
  powerErrors(set, ref, vmRef, vm, vif, ['unplug']);
  if (vm.power_state !== 'Running') set(['VM_BAD_POWER_STATE', vmRef, 'running', String(vm.power_state).toLowerCase()], ['plug', 'unplug']);
  for (const op of Object.values(vm.current_operations as Record<string, string>)) {
    if (stopping.has(op)) set(['OPERATION_NOT_ALLOWED', `Current operation on VM:${vmRef} is ${op}`], ['plug', 'unplug']);
  }
  const hot = hotplugError(sim, vmRef, vm, 'vif');
  if (hot) set(hot, ['plug', 'unplug']);
  return table;
}

export function assertDeviceOperation(table: Errors, op: string): void {
  const err = table.get(op);
  if (err) fail(err[0]!, ...err.slice(1));
}

export function refreshVbdAllowedOperations(sim: SimState, ref: string): void {
  const vbd = sim.store.get('VBD', ref);
  if (!vbd || !sim.store.get('VM', String(vbd.VM))) return;
  const errors = vbdOperationErrors(sim, ref, vbd);
  sim.store.update('VBD', ref, { allowed_operations: vbdOperations.filter((o) => !errors.has(o)) });
}

export function refreshVifAllowedOperations(sim: SimState, ref: string): void {
  const vif = sim.store.get('VIF', ref);
  if (!vif || !sim.store.get('VM', String(vif.VM))) return;
  const errors = vifOperationErrors(sim, ref, vif);
  sim.store.update('VIF', ref, { allowed_operations: vifOperations.filter((o) => !errors.has(o)) });
}

// After a power change: every device of the VM and the VDIs behind its disks.
export function refreshDeviceOperations(sim: SimState, vmRef: string): void {
  const vm = sim.store.get('VM', vmRef);
  if (!vm) return;
  for (const r of [...(vm.VBDs as string[])]) {
    refreshVbdAllowedOperations(sim, r);
    const vdi = sim.store.get('VBD', r)?.VDI;
    if (!isNullRef(vdi)) refreshVdiAllowedOperations(sim, String(vdi));
  }
  for (const r of [...(vm.VIFs as string[])]) refreshVifAllowedOperations(sim, r);
}
