// Power transitions applied to the records: domains, attached devices, metrics and host memory.
import type { SimState } from '../sim/sim-state.js';
import { NULL_REF, isNullRef } from '../util/ids.js';
import { nowXapiDate } from '../util/xapi-time.js';
import { syncConsoles } from './consoles.js';
import { destroyVdi, vbdDeviceName } from './disks.js';
import { dropGuestMetrics, reportGuestAgent } from './guest-agent.js';
import { refreshHostMetrics } from './host-memory.js';
import { refreshAllowedOperations } from './vm-state.js';
import { scalar } from '../datamodel/defaults.js';

function setDevicesAttached(sim: SimState, vmRef: string, attached: boolean): void {
  const vm = sim.store.mustGet('VM', vmRef);
  for (const r of vm.VBDs as string[]) {
    const vbd = sim.store.get('VBD', r);
    if (!vbd) continue;
    const plug = attached && vbd.empty !== true;
    sim.store.update('VBD', r, { currently_attached: plug, device: plug ? vbdDeviceName(scalar(vbd.userdevice)) : vbd.device! });
  }
  for (const r of vm.VIFs as string[]) if (sim.store.get('VIF', r)) sim.store.update('VIF', r, { currently_attached: attached });
}

function updateMetrics(sim: SimState, vmRef: string, running: boolean, restarted: boolean): void {
  const vm = sim.store.mustGet('VM', vmRef);
  const metrics = scalar(vm.metrics);
  if (isNullRef(metrics) || !sim.store.get('VM_metrics', metrics)) return;
  sim.store.update('VM_metrics', metrics, {
    memory_actual: running ? Number(vm.memory_target) : 0,
    VCPUs_number: running ? Number(vm.VCPUs_at_startup) : 0,
    ...(restarted ? { start_time: nowXapiDate() } : {}),
    last_updated: nowXapiDate(),
    state: [],
  });
}

export function bootVm(sim: SimState, vmRef: string, hostRef: string, paused: boolean): void {
  const vm = sim.store.mustGet('VM', vmRef);
  sim.store.update('VM', vmRef, {
    power_state: paused ? 'Paused' : 'Running',
    resident_on: hostRef,
    scheduled_to_be_resident_on: NULL_REF,
    domid: sim.nextDomid(hostRef),
    memory_target: Number(vm.memory_dynamic_max),
  });
  dropSuspendImage(sim, vmRef);
  setDevicesAttached(sim, vmRef, true);
  updateMetrics(sim, vmRef, true, true);
  createGuestMetrics(sim, vmRef);
  syncConsoles(sim, vmRef);
  refreshHostMetrics(sim, hostRef);
  refreshAllowedOperations(sim, vmRef); // and its devices'
}

// Halted and Suspended both give the host its memory back and detach devices.
export function stopVm(sim: SimState, vmRef: string, to: 'Halted' | 'Suspended'): void {
  const host = scalar(sim.store.mustGet('VM', vmRef).resident_on);
  sim.store.update('VM', vmRef, { power_state: to, resident_on: NULL_REF, domid: -1, memory_target: 0 });
  if (to === 'Halted') dropSuspendImage(sim, vmRef);
  setDevicesAttached(sim, vmRef, false);
  updateMetrics(sim, vmRef, false, false);
  destroyGuestMetrics(sim, vmRef);
  syncConsoles(sim, vmRef);
  if (!isNullRef(host)) refreshHostMetrics(sim, host);
  refreshAllowedOperations(sim, vmRef); // and its devices'
}

export function rebootVm(sim: SimState, vmRef: string): void {
  const vm = sim.store.mustGet('VM', vmRef);
  sim.store.update('VM', vmRef, { power_state: 'Running', domid: sim.nextDomid(scalar(vm.resident_on)) });
  updateMetrics(sim, vmRef, true, true);
  syncConsoles(sim, vmRef); // same records; viewers of the old domain are cut and reconnect
}

export function setPaused(sim: SimState, vmRef: string, paused: boolean): void {
  sim.store.update('VM', vmRef, { power_state: paused ? 'Paused' : 'Running' });
  refreshAllowedOperations(sim, vmRef);
}

// Guest metrics come from the simulated guest agent (guest-agent.ts).
export const createGuestMetrics = reportGuestAgent;
export const destroyGuestMetrics = dropGuestMetrics;

// A suspend image is gone once the VM resumes or is shut down (ocaml/xapi/xapi_vm.ml hard_shutdown, resume).
function dropSuspendImage(sim: SimState, vmRef: string): void {
  const vdi = scalar(sim.store.mustGet('VM', vmRef).suspend_VDI);
  if (isNullRef(vdi)) return;
  sim.store.update('VM', vmRef, { suspend_VDI: NULL_REF });
  if (sim.store.get('VDI', vdi)) destroyVdi(sim, vdi);
}
