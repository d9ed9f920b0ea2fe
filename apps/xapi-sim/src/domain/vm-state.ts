// The VM power-state machine: which operations each state allows, and one operation at a time per VM.
import type { XRecord } from '../datamodel/defaults.js';
import type { SimState } from '../sim/sim-state.js';
import { fail } from '../rpc/xapi-error.js';

export type PowerState = 'Halted' | 'Running' | 'Paused' | 'Suspended';

const H: PowerState = 'Halted', R: PowerState = 'Running', P: PowerState = 'Paused', S: PowerState = 'Suspended';

// Power states in which each operation may run (xapi reports them lowercase in VM_BAD_POWER_STATE).
export const requiredStates: Record<string, PowerState[]> = {
  start: [H], start_on: [H], clone: [H], copy: [H], provision: [H], destroy: [H], export: [H, S],
  snapshot: [H, R, S], make_into_template: [H],
  clean_shutdown: [R], hard_shutdown: [R, P, S], shutdown: [R, P, S],
  clean_reboot: [R], hard_reboot: [R, P], suspend: [R], resume: [S], resume_on: [S], pause: [R], unpause: [P],
  changing_memory_limits: [H], changing_static_range: [H], changing_dynamic_range: [H, R],
  changing_VCPUs: [H], changing_VCPUs_live: [R], pool_migrate: [R], migrate_send: [H, S, R],
};

const templateOps = new Set(['clone', 'copy', 'provision', 'export', 'destroy', 'changing_memory_limits', 'changing_static_range', 'changing_dynamic_range', 'changing_VCPUs']);

export function computeAllowedOperations(vm: XRecord): string[] {
  if (Object.keys(vm.current_operations as object).length > 0) return [];
  if (vm.is_control_domain === true) return [];
  const state = vm.power_state as PowerState;
  return Object.entries(requiredStates)
    .filter(([op, states]) => states.includes(state) && (vm.is_a_template !== true || templateOps.has(op)))
    .map(([op]) => op);
}

export function refreshAllowedOperations(sim: SimState, vmRef: string): void {
  const vm = sim.store.get('VM', vmRef);
  if (vm) sim.store.update('VM', vmRef, { allowed_operations: computeAllowedOperations(vm) });
}

export function lower(states: string[]): string {
  return states.map((s) => s.toLowerCase()).join(', ');
}

export function assertPowerState(vmRef: string, vm: XRecord, op: string): void {
  const states = requiredStates[op];
  const actual = String(vm.power_state);
  if (states && !states.includes(actual as PowerState)) fail('VM_BAD_POWER_STATE', vmRef, lower(states), actual.toLowerCase());
}

export function assertRunning(vmRef: string, vm: XRecord): void {
  if (vm.power_state !== 'Running') fail('VM_BAD_POWER_STATE', vmRef, 'running', String(vm.power_state).toLowerCase());
}

// Long copies may overlap each other (many VMs cloned from one template at once), as in xapi.
const concurrentOps = new Set(['clone', 'copy', 'export']);

// The checks a client would see fail first, in xapi's order (also used to plan evacuations).
export function assertOperationValid(sim: SimState, vmRef: string, op: string): XRecord {
  const vm = sim.store.mustGet('VM', vmRef);
  const current = Object.entries(vm.current_operations as Record<string, string>);
  const clash = current.find(([, other]) => !(concurrentOps.has(op) && concurrentOps.has(other)));
  if (clash) fail('OTHER_OPERATION_IN_PROGRESS', 'VM', vmRef, clash[1], clash[0]);
  assertPowerState(vmRef, vm, op);
  const blocked = (vm.blocked_operations as Record<string, string>)[op];
  if (blocked !== undefined) fail('OPERATION_BLOCKED', vmRef, blocked);
  return vm;
}

// Marks `op` in progress, after assertOperationValid.
export function beginOperation(sim: SimState, vmRef: string, op: string, opRef: string): XRecord {
  const vm = assertOperationValid(sim, vmRef, op);
  const ops = { ...(vm.current_operations as Record<string, string>), [opRef]: op };
  return sim.store.update('VM', vmRef, { current_operations: ops, allowed_operations: [] });
}

export function endOperation(sim: SimState, vmRef: string, opRef: string): void {
  const vm = sim.store.get('VM', vmRef);
  if (!vm) return;
  const ops = { ...(vm.current_operations as Record<string, string>) };
  delete ops[opRef];
  sim.store.update('VM', vmRef, { current_operations: ops });
  refreshAllowedOperations(sim, vmRef);
}
