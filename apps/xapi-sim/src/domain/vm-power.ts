// Power transitions applied to the records: domains, attached devices, metrics and host memory.
import type { SimState } from '../sim/sim-state.js';
import { NULL_REF, isNullRef } from '../util/ids.js';
import { nowXapiDate } from '../util/xapi-time.js';
import { syncConsoles } from './consoles.js';
import { vbdDeviceName } from './disks.js';
import { refreshHostMetrics } from './host-memory.js';
import { refreshAllowedOperations } from './vm-state.js';

function setDevicesAttached(sim: SimState, vmRef: string, attached: boolean): void {
  const vm = sim.store.mustGet('VM', vmRef);
  for (const r of vm.VBDs as string[]) {
    const vbd = sim.store.get('VBD', r);
    if (!vbd) continue;
    const plug = attached && vbd.empty !== true;
    sim.store.update('VBD', r, { currently_attached: plug, device: plug ? vbdDeviceName(String(vbd.userdevice)) : vbd.device! });
  }
  for (const r of vm.VIFs as string[]) if (sim.store.get('VIF', r)) sim.store.update('VIF', r, { currently_attached: attached });
}

function updateMetrics(sim: SimState, vmRef: string, running: boolean, restarted: boolean): void {
  const vm = sim.store.mustGet('VM', vmRef);
  const metrics = String(vm.metrics);
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
    power_state: paused ? 'Paused' : 'Running', resident_on: hostRef, scheduled_to_be_resident_on: NULL_REF,
    domid: sim.nextDomid(hostRef), memory_target: Number(vm.memory_dynamic_max),
  });
  setDevicesAttached(sim, vmRef, true);
  updateMetrics(sim, vmRef, true, true);
  createGuestMetrics(sim, vmRef);
  syncConsoles(sim, vmRef);
  refreshHostMetrics(sim, hostRef);
  refreshAllowedOperations(sim, vmRef);
}

// Halted and Suspended both give the host its memory back and detach devices.
export function stopVm(sim: SimState, vmRef: string, to: 'Halted' | 'Suspended'): void {
  const host = String(sim.store.mustGet('VM', vmRef).resident_on);
  sim.store.update('VM', vmRef, { power_state: to, resident_on: NULL_REF, domid: -1, memory_target: 0 });
  setDevicesAttached(sim, vmRef, false);
  updateMetrics(sim, vmRef, false, false);
  destroyGuestMetrics(sim, vmRef);
  syncConsoles(sim, vmRef);
  if (!isNullRef(host)) refreshHostMetrics(sim, host);
  refreshAllowedOperations(sim, vmRef);
}

export function rebootVm(sim: SimState, vmRef: string): void {
  const vm = sim.store.mustGet('VM', vmRef);
  sim.store.update('VM', vmRef, { power_state: 'Running', domid: sim.nextDomid(String(vm.resident_on)) });
  updateMetrics(sim, vmRef, true, true);
  syncConsoles(sim, vmRef); // same records; viewers of the old domain are cut and reconnect
}

export function setPaused(sim: SimState, vmRef: string, paused: boolean): void {
  sim.store.update('VM', vmRef, { power_state: paused ? 'Paused' : 'Running' });
}

// What guest tools would report once booted: the IPs the control plane put in xenstore (vm-data/ip<N>).
export function createGuestMetrics(sim: SimState, vmRef: string): void {
  const vm = sim.store.mustGet('VM', vmRef);
  const networks: Record<string, string> = {};
  for (const [key, value] of Object.entries(vm.xenstore_data as Record<string, string>)) {
    const m = /^vm-data\/ip(\d+)$/.exec(key);
    if (m) networks[`${m[1]}/ip`] = networks[`${m[1]}/ipv4/0`] = value.split('/')[0]!;
  }
  const other = vm.other_config as Record<string, string>;
  const ref = sim.store.create('VM_guest_metrics', {
    os_version: { name: other.base_template_name ?? String(vm.name_label) }, PV_drivers_version: { major: '9', minor: '4' },
    PV_drivers_up_to_date: true, PV_drivers_detected: true, networks, live: true, last_updated: nowXapiDate(),
    can_use_hotplug_vbd: 'yes', can_use_hotplug_vif: 'yes',
  });
  sim.store.update('VM', vmRef, { guest_metrics: ref });
}

// xapi drops a VM's guest metrics when its domain goes away.
export function destroyGuestMetrics(sim: SimState, vmRef: string): void {
  const ref = String(sim.store.mustGet('VM', vmRef).guest_metrics);
  if (!isNullRef(ref) && sim.store.get('VM_guest_metrics', ref)) sim.store.destroy('VM_guest_metrics', ref);
  sim.store.update('VM', vmRef, { guest_metrics: NULL_REF });
}
