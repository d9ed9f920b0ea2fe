// A host crash as the pool master sees it (no HA): records keep what the dead host last reported until
// VM.power_state_reset, or until the host returns and resyncs (ocaml/xapi/xapi_vm.ml power_state_reset).
import type { SimState } from '../sim/sim-state.js';
import { fail } from '../rpc/xapi-error.js';
import { isNullRef } from '../util/ids.js';
import { scalar } from '../datamodel/defaults.js';
import { stopVm } from './vm-power.js';

const live = (state: unknown) => state === 'Running' || state === 'Paused';

/** Xapi_host.is_host_alive: the master thinks it live, or it still answers. */
export function hostAlive(sim: SimState, hostRef: string): boolean {
  const host = sim.store.get('host', hostRef);
  if (!host) return false;
  if (sim.store.get('host_metrics', scalar(host.metrics))?.live === true) return true;
  return sim.net?.isUp(sim.hostRefs.indexOf(hostRef) + 1) ?? false;
}

/** The guests the host's records still show running (not dom0). */
export function residentGuests(sim: SimState, hostRef: string): string[] {
  const out: string[] = [];
  for (const [ref, vm] of sim.store.all('VM')) {
    if (vm.is_control_domain !== true && scalar(vm.resident_on) === hostRef && live(vm.power_state)) out.push(ref);
  }
  return out;
}

/** A crashed host that boots again finds none of its domains: its xapi resyncs them to Halted. */
export function resyncReturningHost(sim: SimState, hostRef: string): number {
  const guests = residentGuests(sim, hostRef);
  for (const vm of guests) stopVm(sim, vm, 'Halted');
  return guests.length;
}

/**
 * VM.power_state_reset as xapi_vm.ml has it: never a control domain (CANNOT_RESET_CONTROL_DOMAIN); a live VM on the
 * master whose domain runs is DOMAIN_EXISTS; one resident on another host that is alive is HOST_IS_LIVE; else Halted.
 */
export function powerStateReset(sim: SimState, vmRef: string): void {
  const vm = sim.store.mustGet('VM', vmRef);
  if (vm.is_control_domain === true) fail('CANNOT_RESET_CONTROL_DOMAIN', vmRef);
  if (live(vm.power_state)) {
    const resident = scalar(vm.resident_on);
    if (resident === sim.masterRef()) fail('DOMAIN_EXISTS', vmRef);
    if (!isNullRef(resident) && hostAlive(sim, resident)) fail('HOST_IS_LIVE', resident);
  }
  stopVm(sim, vmRef, 'Halted');
}
