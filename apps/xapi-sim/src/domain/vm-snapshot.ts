// VM.snapshot and VM.checkpoint: a snapshot is a VM record (is_a_snapshot, snapshot_of, snapshot_time) whose disks are
// VDI snapshots (ocaml/xapi/xapi_vm_clone.ml copy_vm_record, clone; xapi_vm_snapshot.ml checkpoint).
import type { XRecord } from '../datamodel/defaults.js';
import type { SimState } from '../sim/sim-state.js';
import { NULL_REF, isNullRef, newUuid } from '../util/ids.js';
import { nowXapiDate } from '../util/xapi-time.js';
import { createVdi, destroyVdi } from './disks.js';
import { syncConsoles } from './consoles.js';
import { copyGuestMetrics } from './guest-agent.js';
import { snapshotVdi } from './vdi-ops.js';
import { createVif } from './vifs.js';
import { vmToString } from './vm-metadata.js';
import { refreshAllowedOperations } from './vm-state.js';
import { scalar } from '../datamodel/defaults.js';

// Device lists and runtime state a copied record starts without (new arrays each time: the store edits sets in place).
const fresh = (): XRecord => ({
  allowed_operations: [],
  current_operations: {},
  blocked_operations: {},
  VBDs: [],
  VIFs: [],
  consoles: [],
  crash_dumps: [],
  VTPMs: [],
  VUSBs: [],
  VGPUs: [],
  attached_PCIs: [],
  snapshots: [],
  children: [],
  resident_on: NULL_REF,
  scheduled_to_be_resident_on: NULL_REF,
  domid: -1,
  domarch: '',
  blobs: {},
  ha_always_run: false,
  protection_policy: NULL_REF,
  is_snapshot_from_vmpp: false,
  is_vmss_snapshot: false,
  snapshot_schedule: NULL_REF,
  appliance: NULL_REF,
  start_delay: 0,
  shutdown_delay: 0,
  order: 0,
  suspend_SR: NULL_REF,
  version: 0,
  requires_reboot: false,
  transportable_snapshot_id: '',
  is_default_template: false,
  pending_guidances: [],
  suspend_VDI: NULL_REF,
});

// Xapi_vm_helpers.copy_metrics: the copy gets its own VM_metrics with the source's numbers.
export function copyMetrics(sim: SimState, from: XRecord): string {
  const m = isNullRef(from.metrics) ? undefined : sim.store.get('VM_metrics', scalar(from.metrics));
  const { uuid: _uuid, ...rest } = m ?? {};
  return sim.store.create('VM_metrics', structuredClone({ ...rest, last_updated: nowXapiDate() }));
}

// Xapi_vbd_helpers.copy / Xapi_vif_helpers.copy onto `vmRef`, with the disk behind each VBD already decided.
export function copyDevices(sim: SimState, vmRef: string, vbds: Array<[XRecord, string]>, vifs: XRecord[], markOwner: boolean): void {
  for (const [vbd, vdi] of vbds) {
    const other = { ...(vbd.other_config as Record<string, string>) };
    if (markOwner && vbd.type === 'Disk' && !('owner' in other)) other.owner = ''; // CA-58405: the copy owns its disks
    sim.store.create('VBD', {
      ...structuredClone(vbd),
      uuid: newUuid(),
      VM: vmRef,
      VDI: vdi,
      empty: vbd.empty === true || isNullRef(vdi),
      other_config: other,
      current_operations: {},
      allowed_operations: [],
      reserved: false,
      metrics: NULL_REF,
    });
  }
  for (const vif of vifs) {
    if (!sim.store.get('network', scalar(vif.network))) continue;
    createVif(sim, { ...structuredClone(vif), uuid: newUuid(), VM: vmRef, MAC: scalar(vif.MAC), current_operations: {} });
  }
}

// VM.suspend's image: static_max * 1.2 * 1.05 + 100 MiB on the suspend SR (ocaml/xapi/xapi_xenops.ml suspend).
function suspendImage(sim: SimState, vmRef: string, vm: XRecord): string {
  const sr = !isNullRef(vm.suspend_SR) && sim.store.get('SR', scalar(vm.suspend_SR)) ? scalar(vm.suspend_SR) : scalar(sim.pool().suspend_image_SR);
  const size = Math.floor(Number(vm.memory_static_max) * 1.2 * 1.05) + 100 * 1024 * 1024;
  return createVdi(sim, {
    name_label: 'Suspend image',
    name_description: 'Suspend image',
    SR: sr,
    virtual_size: size,
    type: 'suspend',
    sharable: false,
    read_only: false,
    other_config: {},
    xenstore_data: {},
    sm_config: { vmhint: scalar(vm.uuid), initial_allocation: String(size) },
    tags: [],
  });
}

export interface SnapshotSpec {
  checkpoint: boolean;
  ignoreVdis: string[];
}

/** Makes the snapshot record of `vmRef` and its disk snapshots; all-or-nothing. */
export async function snapshotVm(sim: SimState, vmRef: string, newName: string, spec: SnapshotSpec): Promise<string> {
  const { store } = sim;
  const vm = store.mustGet('VM', vmRef);
  const state = scalar(vm.power_state);
  const running = state === 'Running';
  // checkpoint of a live VM suspends it first: its memory goes to a suspend image the snapshot takes a copy of
  const liveImage = spec.checkpoint && running ? suspendImage(sim, vmRef, vm) : undefined;
  const memoryImage = liveImage ?? (spec.checkpoint ? scalar(vm.suspend_VDI) : NULL_REF);
  const vbds = (vm.VBDs as string[])
    .map((r) => [r, store.get('VBD', r)] as const)
    .filter((x): x is readonly [string, XRecord] => x[1] !== undefined && !spec.ignoreVdis.includes(scalar(x[1].VDI)));
  const made: string[] = [];
  try {
    const disks: Array<[XRecord, string]> = [];
    for (const [, vbd] of vbds) {
      // empty drives stay empty, CDs keep their ISO, disks get a VDI snapshot
      const vdi = vbd.empty === true ? NULL_REF : vbd.type === 'CD' ? scalar(vbd.VDI) : await snapshotVdi(sim, scalar(vbd.VDI));
      if (vbd.type !== 'CD' && vbd.empty !== true) made.push(vdi);
      disks.push([vbd, vdi]);
    }
    const suspendVdi = !isNullRef(memoryImage) && store.get('VDI', memoryImage) ? await snapshotVdi(sim, memoryImage) : NULL_REF;
    if (!isNullRef(suspendVdi)) made.push(suspendVdi);
    const now = store.mustGet('VM', vmRef);
    const newState = spec.checkpoint && (running || state === 'Suspended') ? 'Suspended' : 'Halted';
    const info: Record<string, string> =
      spec.checkpoint && !running ? {} : { 'disk-snapshot-type': 'crash_consistent', 'power-state-at-snapshot': state };
    const snap = store.create('VM', {
      ...structuredClone(now),
      ...fresh(),
      uuid: newUuid(),
      name_label: newName,
      power_state: newState,
      is_a_template: true,
      is_a_snapshot: true,
      snapshot_of: vmRef,
      snapshot_time: nowXapiDate(),
      snapshot_info: info,
      snapshot_metadata: vmToString(now),
      parent: now.parent ?? NULL_REF,
      metrics: copyMetrics(sim, now),
      guest_metrics: copyGuestMetrics(sim, now),
      suspend_VDI: suspendVdi,
      generation_id: '',
    });
    copyDevices(
      sim,
      snap,
      disks,
      (now.VIFs as string[]).map((r) => store.get('VIF', r)).filter((v): v is XRecord => v !== undefined),
      true,
    );
    resetState(sim, snap, newState);
    store.update('VM', vmRef, { parent: snap });
    return snap;
  } catch (e) {
    for (const v of made) if (store.get('VDI', v)) destroyVdi(sim, v);
    throw e;
  } finally {
    // the checkpointed VM resumes: a new domain, and its suspend image goes
    if (liveImage) {
      if (store.get('VDI', liveImage)) destroyVdi(sim, liveImage);
      const host = scalar(store.mustGet('VM', vmRef).resident_on);
      store.update('VM', vmRef, { domid: sim.nextDomid(host) });
      syncConsoles(sim, vmRef); // the old domain's viewers are cut
    }
  }
}

// Xapi_vm_lifecycle.force_state_reset: devices of a Halted VM are detached; allowed operations follow.
export function resetState(sim: SimState, vmRef: string, state: string): void {
  const vm = sim.store.mustGet('VM', vmRef);
  if (state === 'Halted') {
    for (const r of vm.VBDs as string[]) if (sim.store.get('VBD', r)) sim.store.update('VBD', r, { currently_attached: false, reserved: false });
    for (const r of vm.VIFs as string[]) if (sim.store.get('VIF', r)) sim.store.update('VIF', r, { currently_attached: false, reserved: false });
  }
  const patch: XRecord = { power_state: state, current_operations: {} };
  if (state === 'Halted' || state === 'Suspended') Object.assign(patch, { resident_on: NULL_REF, scheduled_to_be_resident_on: NULL_REF, domid: -1 });
  sim.store.update('VM', vmRef, patch);
  refreshAllowedOperations(sim, vmRef);
}

// Xapi_vm.destroy: the children of a destroyed VM (its snapshots' chain) hang off its parent instead.
export function rebaseChildren(sim: SimState, vmRef: string): void {
  const parent = sim.store.mustGet('VM', vmRef).parent ?? NULL_REF;
  for (const [r, v] of sim.store.all('VM')) if (v.parent === vmRef) sim.store.update('VM', r, { parent });
}
