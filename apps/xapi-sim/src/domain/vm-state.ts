// One VM operation at a time unless xapi allows them together: marking, unmarking, and allowed_operations upkeep
// (xapi_vm_helpers.ml with_vm_operation; the rules are in vm-lifecycle.ts).
import type { XRecord } from '../datamodel/defaults.js';
import type { SimState } from '../sim/sim-state.js';
import { fail } from '../rpc/xapi-error.js';
import { refreshVmDevices } from './device-lifecycle.js';
import { computeAllowedOperations, vmOperationError } from './vm-lifecycle.js';
import { scalar } from '../datamodel/defaults.js';

export type { PowerState } from './vm-lifecycle.js';

// The VM's, then its devices' (message_forwarding.ml update_vbd_operations / update_vif_operations follow VM ops).
export function refreshAllowedOperations(sim: SimState, vmRef: string): void {
  const vm = sim.store.get('VM', vmRef);
  if (!vm) return;
  sim.store.update('VM', vmRef, { allowed_operations: computeAllowedOperations(sim, vmRef, vm) });
  refreshVmDevices(sim, vmRef);
}

// assert_operation_valid: the first error xapi would raise for `op` now.
export function assertOperationValid(sim: SimState, vmRef: string, vm: XRecord, op: string, strict = true): void {
  const error = vmOperationError(sim, vmRef, vm, op, strict);
  if (error) fail(...error);
}

export function assertRunning(vmRef: string, vm: XRecord): void {
  if (vm.power_state !== 'Running') fail('VM_BAD_POWER_STATE', vmRef, 'running', scalar(vm.power_state).toLowerCase());
}

// Marks `op` in progress (keyed by the task, as xapi keys current_operations), after the checks a client would see fail.
export function beginOperation(sim: SimState, vmRef: string, op: string, opRef: string, strict = true): XRecord {
  const vm = sim.store.mustGet('VM', vmRef);
  assertOperationValid(sim, vmRef, vm, op, strict);
  const ops = { ...(vm.current_operations as Record<string, string>), [opRef]: op };
  sim.store.update('VM', vmRef, { current_operations: ops });
  refreshAllowedOperations(sim, vmRef);
  return sim.store.mustGet('VM', vmRef);
}

export function endOperation(sim: SimState, vmRef: string, opRef: string): void {
  const vm = sim.store.get('VM', vmRef);
  if (!vm) return;
  const ops = { ...(vm.current_operations as Record<string, string>) };
  delete ops[opRef];
  sim.store.update('VM', vmRef, { current_operations: ops });
  refreshAllowedOperations(sim, vmRef);
}
