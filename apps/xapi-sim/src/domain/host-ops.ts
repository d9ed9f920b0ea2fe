// Host operations as ocaml/xapi/xapi_host_helpers.ml valid_operations computes them: creating VMs (provision,
// vm_resume, vm_migrate) and removing them (evacuate, reboot, shutdown) exclude each other; an enabled host
// cannot reboot/shut down/apply updates; a live host cannot power on (and the sim has no power-on plugin).
import type { SimState } from '../sim/sim-state.js';
import { fail } from '../rpc/xapi-error.js';
import { scalar } from '../datamodel/defaults.js';

const all = ['provision', 'evacuate', 'shutdown', 'reboot', 'power_on', 'vm_start', 'vm_resume', 'vm_migrate', 'apply_updates', 'enable'];
const creating = new Set(['provision', 'vm_resume', 'vm_migrate']);
const removing = new Set(['evacuate', 'reboot', 'shutdown']);
const blockedBy: Record<string, string[]> = {
  reboot: ['shutdown', 'apply_updates'],
  shutdown: ['reboot', 'apply_updates'],
  apply_updates: ['reboot', 'shutdown', 'enable'],
  provision: ['provision'],
};

/** xapi's error for `op` on the host now, or undefined if it is allowed. */
export function hostOperationError(sim: SimState, hostRef: string, op: string): string[] | undefined {
  const host = sim.store.mustGet('host', hostRef);
  const current = Object.entries(host.current_operations as Record<string, string>);
  const busy = (pred: (o: string) => boolean) => current.find(([, o]) => pred(o));
  const clash =
    (creating.has(op) && busy((o) => removing.has(o))) ||
    (removing.has(op) && busy((o) => creating.has(o))) ||
    busy((o) => (blockedBy[o] ?? []).includes(op));
  if (clash) return ['OTHER_OPERATION_IN_PROGRESS', 'host', hostRef, clash[1], clash[0]];
  if (host.enabled === true && ['reboot', 'shutdown', 'apply_updates'].includes(op)) return ['HOST_NOT_DISABLED'];
  if (op === 'power_on') {
    const live = sim.store.get('host_metrics', scalar(host.metrics))?.live === true;
    return live ? ['HOST_IS_LIVE', hostRef] : ['XENAPI_MISSING_PLUGIN', 'power-on-host'];
  }
  return undefined;
}

export function refreshHostAllowedOperations(sim: SimState, hostRef: string): void {
  if (!sim.store.get('host', hostRef)) return;
  sim.store.update('host', hostRef, { allowed_operations: all.filter((op) => !hostOperationError(sim, hostRef, op)) });
}

function setHostOp(sim: SimState, hostRef: string, opRef: string, op: string | undefined): void {
  const host = sim.store.get('host', hostRef);
  if (!host) return;
  const ops = { ...(host.current_operations as Record<string, string>) };
  if (op) ops[opRef] = op;
  else delete ops[opRef];
  sim.store.update('host', hostRef, { current_operations: ops });
  refreshHostAllowedOperations(sim, hostRef);
}

/** with_host_operation: checks `op`, marks it in current_operations while `fn` runs, always unmarks. */
export async function withHostOperation<T>(sim: SimState, hostRef: string, op: string, opRef: string, fn: () => Promise<T>): Promise<T> {
  const error = hostOperationError(sim, hostRef, op);
  if (error) fail(error[0], ...error.slice(1));
  setHostOp(sim, hostRef, opRef, op);
  try {
    return await fn();
  } finally {
    setHostOp(sim, hostRef, opRef, undefined);
  }
}
