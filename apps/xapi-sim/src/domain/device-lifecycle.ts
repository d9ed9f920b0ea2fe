// VBD and VIF operation checks as xapi makes them (ocaml/xapi/xapi_vbd_helpers.ml and xapi_vif_helpers.ml
// valid_operations): per operation, the first error set, or none; allowed_operations is the ops with none.
import type { XRecord } from '../datamodel/defaults.js';
import type { SimState } from '../sim/sim-state.js';
import { fail } from '../rpc/xapi-error.js';
import { isNullRef } from '../util/ids.js';
import { refreshVdiAllowedOperations } from './vdi-rules.js';
import { scalar } from '../datamodel/defaults.js';

type Cls = 'VBD' | 'VIF';
type Table = Map<string, string[] | undefined>;

function table(sim: SimState, cls: Cls): Table {
  const ops = sim.dm.enums.get(cls === 'VBD' ? 'vbd_operations' : 'vif_operations') ?? [];
  return new Map(ops.map((op) => [op, undefined]));
}

// set_errors: an op keeps the first error it was given.
const set = (t: Table, error: string[], ops: string[]) => {
  for (const op of ops) if (t.has(op) && t.get(op) === undefined) t.set(op, error);
};

// The checks both device kinds share: VM power state, VM operations in progress, HVM hotplug support.
function vmChecks(sim: SimState, t: Table, cls: Cls, ref: string, dev: XRecord, vm: XRecord, vmRef: string, plugOps: string[]): void {
  const state = scalar(vm.power_state);
  const plugged = dev.currently_attached === true || dev.reserved === true;
  if (state === 'Running')
    set(t, plugged ? ['DEVICE_ALREADY_ATTACHED', ref] : ['DEVICE_ALREADY_DETACHED', ref], plugged ? ['plug'] : plugOps.filter((o) => o !== 'plug'));
  else
    set(
      t,
      ['VM_BAD_POWER_STATE', vmRef, 'running', state.toLowerCase()],
      cls === 'VBD' && state !== 'Paused' ? ['pause', 'unpause', ...plugOps] : plugOps,
    );
  for (const op of Object.values((vm.current_operations ?? {}) as Record<string, string>)) {
    if (['clean_shutdown', 'hard_shutdown', 'suspend', 'pause'].includes(op))
      set(t, ['OPERATION_NOT_ALLOWED', `Current operation on VM:${vmRef} is ${op}`], ['plug', 'unplug']);
  }
  if (state !== 'Running' || scalar(vm.domain_type) !== 'hvm') return;
  const guest = sim.store.get('VM_guest_metrics', scalar(vm.guest_metrics));
  const version = (guest?.PV_drivers_version ?? {}) as Record<string, string>;
  const fallback = () => {
    if (!(guest && /^\d+$/.test(version.major ?? '') && /^\d+$/.test(version.minor ?? ''))) set(t, ['VM_MISSING_PV_DRIVERS', vmRef], plugOps);
  };
  const claim = guest ? scalar(guest[cls === 'VBD' ? 'can_use_hotplug_vbd' : 'can_use_hotplug_vif']) : 'unspecified';
  if (claim === 'no') set(t, ['OPERATION_NOT_ALLOWED', `VM states it does not support ${cls} hotplug.`], plugOps);
  else if (claim !== 'yes' && guest?.PV_drivers_detected !== true) fallback();
}

function currentOps(t: Table, cls: Cls, ref: string, dev: XRecord, except: string[]): void {
  const current = Object.entries((dev.current_operations ?? {}) as Record<string, string>);
  if (current.length === 0) return;
  if (cls === 'VIF') {
    const fmt = (xs: string[]) => `{${xs.join('; ')}}`;
    return set(
      t,
      ['OTHER_OPERATION_IN_PROGRESS', 'VIF', ref, fmt(current.map(([, o]) => o).reverse()), fmt(current.map(([r]) => r).reverse())],
      [...t.keys()],
    );
  }
  const [opRef, op] = [...current].sort((a, b) => a[1].localeCompare(b[1]))[0];
  set(
    t,
    ['OTHER_OPERATION_IN_PROGRESS', 'VBD', ref, op, opRef],
    [...t.keys()].filter((o) => !except.includes(o)),
  );
}

export function vbdOperationErrors(sim: SimState, ref: string, sharingChecks = true): Table {
  const t = table(sim, 'VBD');
  const vbd = sim.store.mustGet('VBD', ref);
  const vmRef = scalar(vbd.VM);
  const vm = sim.store.mustGet('VM', vmRef);
  currentOps(t, 'VBD', ref, vbd, ['pause', 'unpause']);
  if (vbd.unpluggable !== true) set(t, ['VBD_NOT_UNPLUGGABLE', ref], ['unplug', 'unplug_force']);
  if (vbd.type !== 'CD') set(t, ['VBD_NOT_REMOVABLE_MEDIA', ref], ['insert', 'eject']);
  const empty = vbd.empty === true;
  set(t, empty ? ['VBD_IS_EMPTY', ref] : ['VBD_NOT_EMPTY', ref], empty ? ['eject'] : ['insert']);
  vmChecks(sim, t, 'VBD', ref, vbd, vm, vmRef, ['plug', 'unplug', 'unplug_force']);
  if (vm.power_state === 'Running' && vm.domain_type === 'hvm' && vbd.type === 'CD') {
    set(t, ['OPERATION_NOT_ALLOWED', 'HVM CDROMs cannot be hotplugged/unplugged, only inserted or ejected'], ['plug', 'unplug', 'unplug_force']);
  }
  if (vbd.type === 'CD' && vm.power_state === 'Suspended') set(t, ['VM_BAD_POWER_STATE', vmRef, 'halted, running', 'suspended'], ['insert', 'eject']);
  const vdi = !empty && !isNullRef(vbd.VDI) ? sim.store.get('VDI', scalar(vbd.VDI)) : undefined;
  if (vdi) vdiChecks(sim, t, ref, vbd, vm, scalar(vbd.VDI), vdi, sharingChecks && vbd.currently_attached !== true);
  return t;
}

function vdiChecks(sim: SimState, t: Table, ref: string, vbd: XRecord, vm: XRecord, vdiRef: string, vdi: XRecord, sharing: boolean): void {
  if (vdi.managed === false) set(t, ['VDI_NOT_MANAGED', ref], [...t.keys()]);
  const busy = Object.entries((vdi.current_operations ?? {}) as Record<string, string>).find(([, op]) => op !== 'mirror' && op !== 'copy');
  if (busy) set(t, ['OTHER_OPERATION_IN_PROGRESS', 'VDI', vdiRef, busy[1], busy[0]], ['attach', 'plug', 'insert']);
  if (!sharing) return;
  const error = vdiAttachError(sim, vdiRef, vbd.mode === 'RW', ref, vm.is_control_domain === true);
  if (error) set(t, error, ['attach', 'insert', 'plug']);
}

// The sharing checks of an attach (also dom0's, to import or export a disk): VBDs of suspended VMs and of system
// domains (System_domains.is_system_domain: control domains) do not count; a system domain may share any disk.
export function vdiAttachError(sim: SimState, vdiRef: string, write: boolean, except?: string, systemDomain = false): string[] | undefined {
  const vdi = sim.store.mustGet('VDI', vdiRef);
  const others = ((vdi.VBDs ?? []) as string[])
    .filter((r) => r !== except)
    .map((r) => sim.store.get('VBD', r))
    .filter((o): o is XRecord => {
      if (!o) return false;
      const owner = sim.store.get('VM', scalar(o.VM));
      const live = o.currently_attached === true || o.reserved === true || Object.keys((o.current_operations ?? {}) as object).length > 0;
      return live && owner?.power_state !== 'Suspended' && owner?.is_control_domain !== true;
    });
  if (vdi.sharable !== true && !systemDomain && (others.some((o) => o.mode === 'RW') || (write && others.length > 0))) return ['VDI_IN_USE', vdiRef];
  if (write && vdi.read_only === true) return ['VDI_READONLY', vdiRef];
  return undefined;
}

export function vifOperationErrors(sim: SimState, ref: string): Table {
  const t = table(sim, 'VIF');
  const vif = sim.store.mustGet('VIF', ref);
  const vmRef = scalar(vif.VM);
  const vm = sim.store.mustGet('VM', vmRef);
  currentOps(t, 'VIF', ref, vif, []);
  if (vm.is_control_domain === true && Number(vm.domid) === 0) set(t, ['OPERATION_NOT_ALLOWED', 'Control domain does not support hotplug'], ['plug']);
  vmChecks(sim, t, 'VIF', ref, vif, vm, vmRef, ['plug', 'unplug']);
  return t;
}

const errorsOf = (sim: SimState, cls: Cls, ref: string, sharing: boolean) =>
  cls === 'VBD' ? vbdOperationErrors(sim, ref, sharing) : vifOperationErrors(sim, ref);

// assert_operation_valid
export function assertDeviceOperation(sim: SimState, cls: Cls, ref: string, op: string): void {
  const error = errorsOf(sim, cls, ref, true).get(op);
  if (error) fail(...(error as [string, ...string[]]));
}

// update_allowed_operations (without the sharing checks, as xapi); unchanged lists are not rewritten.
export function refreshDeviceOperations(sim: SimState, cls: Cls, ref: string): void {
  if (!sim.store.get(cls, ref)) return;
  const allowed = [...errorsOf(sim, cls, ref, false)].filter(([, e]) => e === undefined).map(([op]) => op);
  const before = sim.store.get(cls, ref)!.allowed_operations as string[];
  if (before.length !== allowed.length || before.some((op, i) => op !== allowed[i])) sim.store.update(cls, ref, { allowed_operations: allowed });
}

// After a VM operation: its devices, and the disks behind them (whose operations follow their VBDs' attachment).
export function refreshVmDevices(sim: SimState, vmRef: string): void {
  const vm = sim.store.get('VM', vmRef);
  if (!vm) return;
  for (const r of [...(vm.VBDs as string[])]) {
    refreshDeviceOperations(sim, 'VBD', r);
    const vdi = sim.store.get('VBD', r)?.VDI;
    if (!isNullRef(vdi)) refreshVdiAllowedOperations(sim, scalar(vdi));
  }
  for (const r of [...(vm.VIFs as string[])]) refreshDeviceOperations(sim, 'VIF', r);
}
