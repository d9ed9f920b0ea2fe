// Host memory accounting: a VM holds memory while running/paused, or while scheduled to start there.
import type { XRecord } from '../datamodel/defaults.js';
import type { SimState } from '../sim/sim-state.js';
import { fail } from '../rpc/xapi-error.js';
import { nowXapiDate } from '../util/xapi-time.js';
import { scalar } from '../datamodel/defaults.js';

export function vmStartMemory(vm: XRecord): number {
  return Number(vm.memory_dynamic_max) + Number(vm.memory_overhead);
}

function vmHeldMemory(vm: XRecord, hostRef: string): number {
  const live = vm.resident_on === hostRef && (vm.power_state === 'Running' || vm.power_state === 'Paused');
  if (live) return Number(vm.memory_target) + Number(vm.memory_overhead);
  return vm.scheduled_to_be_resident_on === hostRef ? vmStartMemory(vm) : 0;
}

export function hostTotalMemory(sim: SimState, hostRef: string): number {
  const host = sim.store.mustGet('host', hostRef);
  return Number(sim.store.get('host_metrics', scalar(host.metrics))?.memory_total ?? 0);
}

export function hostFreeMemory(sim: SimState, hostRef: string): number {
  let used = 0;
  for (const vm of sim.store.records('VM')) used += vmHeldMemory(vm, hostRef);
  return hostTotalMemory(sim, hostRef) - used;
}

export function refreshHostMetrics(sim: SimState, hostRef: string): void {
  const host = sim.store.get('host', hostRef);
  const metrics = host && scalar(host.metrics);
  if (!metrics || !sim.store.get('host_metrics', metrics)) return;
  sim.store.update('host_metrics', metrics, { memory_free: hostFreeMemory(sim, hostRef), last_updated: nowXapiDate() });
}

function live(sim: SimState, hostRef: string): boolean {
  const host = sim.store.get('host', hostRef);
  return (host && sim.store.get('host_metrics', scalar(host.metrics)))?.live === true;
}

function usable(sim: SimState, hostRef: string): boolean {
  return sim.store.get('host', hostRef)?.enabled === true && live(sim, hostRef);
}

// Picks the host for a VM needing `needed` bytes: the given one, or the enabled host with most free memory.
export function pickHost(sim: SimState, needed: number, hostRef?: string): string {
  if (hostRef !== undefined) {
    sim.store.mustGet('host', hostRef);
    // xapi_vm_helpers.ml assert_can_boot_here: assert_host_is_live, then assert_host_is_enabled
    if (!live(sim, hostRef)) fail('HOST_NOT_LIVE');
    if (!usable(sim, hostRef)) fail('HOST_DISABLED', hostRef);
    const free = hostFreeMemory(sim, hostRef);
    if (free < needed) fail('HOST_NOT_ENOUGH_FREE_MEMORY', needed, free);
    return hostRef;
  }
  const candidates = sim.store
    .all('host')
    .map(([ref]) => ref)
    .filter((ref) => usable(sim, ref));
  if (candidates.length === 0) fail('NO_HOSTS_AVAILABLE');
  const ranked = candidates.map((ref) => ({ ref, free: hostFreeMemory(sim, ref) })).sort((a, b) => b.free - a.free);
  const best = ranked[0];
  if (best.free < needed) fail('HOST_NOT_ENOUGH_FREE_MEMORY', needed, best.free);
  return best.ref;
}
