// assert_can_boot_here (ocaml/xapi/xapi_vm_helpers.ml), the checks migration and evacuation share: the host is
// live, enabled (unless the VM already runs there), sees the VM's networks, and has the memory.
import type { SimState } from '../sim/sim-state.js';
import { fail } from '../rpc/xapi-error.js';
import { hostFreeMemory, vmStartMemory } from './host-memory.js';
import { scalar } from '../datamodel/defaults.js';

export function bootError(sim: SimState, vmRef: string, hostRef: string, memoryCheck: boolean): string[] | undefined {
  const vm = sim.store.mustGet('VM', vmRef);
  const host = sim.store.mustGet('host', hostRef);
  if (sim.store.get('host_metrics', scalar(host.metrics))?.live !== true) return ['HOST_NOT_LIVE'];
  const localLive = vm.power_state === 'Running' && vm.resident_on === hostRef;
  if (vm.is_control_domain !== true && !localLive && host.enabled !== true) return ['HOST_DISABLED', hostRef];
  for (const vifRef of vm.VIFs as string[]) {
    const network = scalar(sim.store.get('VIF', vifRef)?.network ?? '');
    const pifs = (sim.store.get('network', network)?.PIFs as string[] | undefined) ?? [];
    if (pifs.length > 0 && !pifs.some((p) => sim.store.get('PIF', p)?.host === hostRef)) return ['VM_REQUIRES_NET', vmRef, network];
  }
  if (memoryCheck) {
    const needed = vmStartMemory(vm);
    const free = hostFreeMemory(sim, hostRef);
    if (free < needed) return ['HOST_NOT_ENOUGH_FREE_MEMORY', String(needed), String(free)];
  }
  return undefined;
}

export function assertCanBootHere(sim: SimState, vmRef: string, hostRef: string, memoryCheck = true): void {
  const error = bootError(sim, vmRef, hostRef, memoryCheck);
  if (error) fail(error[0], ...error.slice(1));
}
