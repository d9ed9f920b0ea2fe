// VM.revert (ocaml/xapi/xapi_vm_snapshot.ml revert, revert_vm_fields, revert_vbds; message_forwarding.ml revert):
// the VM is shut down, takes its fields back from snapshot_metadata, its disks become clones of the snapshot's, and
// its VIFs are re-created (new refs) from the snapshot's.
import type { XRecord } from '../datamodel/defaults.js';
import type { SimState } from '../sim/sim-state.js';
import { NULL_REF, isNullRef } from '../util/ids.js';
import { destroyVdi } from './disks.js';
import { copyGuestMetrics, dropGuestMetrics } from './guest-agent.js';
import { cloneVdi } from './vdi-ops.js';
import { vmStringToRecord } from './vm-metadata.js';
import { stopVm } from './vm-power.js';
import { copyDevices, copyMetrics, resetState } from './vm-snapshot.js';
import { createVm } from './vm-factory.js';
import { scalar } from '../datamodel/defaults.js';
import { XapiError, fail } from '../rpc/xapi-error.js';

// xapi_vm_snapshot.ml do_not_copy (post-MNR): identity, runtime state and the device lists stay the VM's own.
const doNotCopy = new Set([
  'uuid',
  'suspend_VDI',
  'power_state',
  'parent',
  'current_operations',
  'allowed_operations',
  'metrics',
  'guest_metrics',
  'resident_on',
  'domid',
  'protection_policy',
  'snapshot_schedule',
  'scheduled_to_be_resident_on',
  'snapshots',
  'tags',
  'affinity',
  'groups',
  'consoles',
  'VBDs',
  'VIFs',
  'VGPUs',
  'VUSBs',
  'VTPMs',
  'attached_PCIs',
  'is_snapshot_from_vmpp',
  'children', // a relation the database keeps, not a stored value
]);

const records = (sim: SimState, cls: string, refs: unknown) =>
  (refs as string[]).map((r) => [r, sim.store.get(cls, r)] as const).filter((x): x is readonly [string, XRecord] => x[1] !== undefined);

// Xapi_vm_snapshot.create_vm_from_snapshot: the snapshot's VM is gone, so it comes back with its old uuid.
export function vmOfSnapshot(sim: SimState, snapRef: string): string {
  const snap = sim.store.mustGet('VM', snapRef);
  const of = scalar(snap.snapshot_of);
  if (!isNullRef(of) && sim.store.get('VM', of)) return of;
  const meta = vmStringToRecord(scalar(snap.snapshot_metadata), sim.dm);
  const vm = createVm(sim, { ...meta, power_state: 'Halted', suspend_VDI: NULL_REF, VBDs: [], VIFs: [], snapshots: [], resident_on: NULL_REF });
  for (const [r, v] of sim.store.all('VM')) if (v.snapshot_of === of || r === snapRef) sim.store.update('VM', r, { snapshot_of: vm });
  return vm;
}

// xapi_vm_snapshot.ml revert: these pass through as they are; any other failure is VM_REVERT_FAILED [snapshot, vm].
const passThrough = new Set(['SR_BACKEND_FAILURE_44', 'SR_BACKEND_FAILURE_109', 'VDI_INCOMPATIBLE_TYPE']);

export async function revertVm(sim: SimState, snapRef: string, vmRef: string): Promise<void> {
  const { store } = sim;
  if (store.mustGet('VM', vmRef).power_state !== 'Halted') stopVm(sim, vmRef, 'Halted'); // "shutting it down first"
  const snap = store.mustGet('VM', snapRef);
  const meta = vmStringToRecord(scalar(snap.snapshot_metadata), sim.dm);
  // revert_vm_fields runs first (message_forwarding.ml), so a failed revert leaves the snapshot's fields in place
  store.update('VM', vmRef, { ...Object.fromEntries(Object.entries(meta).filter(([k]) => !doNotCopy.has(k))), ha_always_run: false });
  try {
    await revertDevices(sim, snapRef, vmRef);
  } catch (e) {
    // "On failure the VM is forced to Halted" (force_state_reset ~value:`Halted)
    if (store.get('VM', vmRef)) resetState(sim, vmRef, 'Halted');
    if (e instanceof XapiError && passThrough.has(e.code)) throw e;
    fail('VM_REVERT_FAILED', snapRef, vmRef);
  }
}

async function revertDevices(sim: SimState, snapRef: string, vmRef: string): Promise<void> {
  const { store } = sim;
  const snap = store.mustGet('VM', snapRef);
  await revertDisks(sim, snapRef, vmRef);
  const vm = store.mustGet('VM', vmRef);
  for (const [r] of records(sim, 'VIF', [...(vm.VIFs as string[])])) store.destroy('VIF', r);
  copyDevices(
    sim,
    vmRef,
    [],
    records(sim, 'VIF', snap.VIFs).map(([, v]) => v),
    false,
  );
  dropGuestMetrics(sim, vmRef);
  store.update('VM', vmRef, { guest_metrics: copyGuestMetrics(sim, snap) });
  const oldMetrics = scalar(store.mustGet('VM', vmRef).metrics);
  store.update('VM', vmRef, { metrics: copyMetrics(sim, snap), parent: snapRef });
  if (store.get('VM_metrics', oldMetrics)) store.destroy('VM_metrics', oldMetrics);
  resetState(sim, vmRef, scalar(snap.power_state));
}

// revert_vbds without VDI.revert (the sim's SRs lack VDI_REVERT): drop the VM's disks that have a snapshot here (and its
// suspend image), clone the snapshot's disks in their place, and repoint the other snapshots of each old disk.
async function revertDisks(sim: SimState, snapRef: string, vmRef: string): Promise<void> {
  const { store } = sim;
  const snap = store.mustGet('VM', snapRef);
  const vm = store.mustGet('VM', vmRef);
  const snapVbds = records(sim, 'VBD', snap.VBDs);
  const snapDisks = snapVbds.filter(([, v]) => v.type === 'Disk');
  const snapshotOf = new Set(snapDisks.map(([, v]) => scalar(store.get('VDI', scalar(v.VDI))?.snapshot_of)));
  const vmVbds = records(sim, 'VBD', vm.VBDs);
  const dropVdis = vmVbds.filter(([, v]) => v.type === 'Disk' && snapshotOf.has(scalar(v.VDI))).map(([, v]) => scalar(v.VDI));
  if (!isNullRef(vm.suspend_VDI)) dropVdis.push(scalar(vm.suspend_VDI));
  // disks without a snapshot are left unattached; every CD drive is re-created from the snapshot's
  for (const [r, v] of vmVbds) if (v.type === 'CD' || v.type === 'Disk') store.destroy('VBD', r);
  for (const vdi of dropVdis)
    if (store.get('VDI', vdi) && store.get('SR', scalar(store.get('VDI', vdi)!.SR))?.content_type !== 'iso') destroyVdi(sim, vdi);
  const made: string[] = [];
  try {
    const disks: Array<[XRecord, string]> = [];
    for (const [, vbd] of snapVbds) {
      if (vbd.type !== 'Disk' || vbd.empty === true) {
        disks.push([vbd, vbd.empty === true ? NULL_REF : scalar(vbd.VDI)]);
        continue;
      }
      const previous = scalar(store.mustGet('VDI', scalar(vbd.VDI)).snapshot_of);
      const clone = await cloneVdi(sim, scalar(vbd.VDI));
      made.push(clone);
      if (!isNullRef(previous)) for (const [r, v] of store.all('VDI')) if (v.snapshot_of === previous) store.update('VDI', r, { snapshot_of: clone });
      disks.push([vbd, clone]);
    }
    const suspend =
      !isNullRef(snap.suspend_VDI) && store.get('VDI', scalar(snap.suspend_VDI)) ? await cloneVdi(sim, scalar(snap.suspend_VDI)) : NULL_REF;
    copyDevices(sim, vmRef, disks, [], false);
    store.update('VM', vmRef, { suspend_VDI: suspend });
  } catch (e) {
    for (const v of made) if (store.get('VDI', v)) destroyVdi(sim, v);
    throw e;
  }
}
