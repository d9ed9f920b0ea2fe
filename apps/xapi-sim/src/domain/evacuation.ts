// compute_evacuation_plan_no_wlb (ocaml/xapi/xapi_host.ml): for each user VM on the host, the enabled host it
// would move to, or the error that stops it; memory is bin-packed over the targets, largest VM first.
import type { SimState } from '../sim/sim-state.js';
import { bootError } from './boot-checks.js';
import { hostFreeMemory, vmStartMemory } from './host-memory.js';
import { vmOperationError } from './vm-lifecycle.js';

export type Plan = { host: string } | { error: string[] };

// xapi's own check of pool_migrate on the VM now (vm-lifecycle.ts), the error or undefined
const operationError = (sim: SimState, vmRef: string) => vmOperationError(sim, vmRef, sim.store.mustGet('VM', vmRef), 'pool_migrate', true);

export function evacuationPlan(sim: SimState, hostRef: string): Map<string, Plan> {
  sim.store.mustGet('host', hostRef);
  const targets = sim.hostRefs.filter((h) => h !== hostRef && sim.store.get('host', h)?.enabled === true);
  const vms = (sim.store.mustGet('host', hostRef).resident_VMs as string[]).filter((v) => sim.store.get('VM', v)?.is_control_domain !== true);
  const plans = new Map<string, Plan>();
  if (targets.length === 0) {
    for (const vm of vms) plans.set(vm, { error: ['NO_HOSTS_AVAILABLE', vm] });
    return plans;
  }
  const migratable = vms.filter((vm) => {
    for (const h of targets) {
      const error = bootError(sim, vm, h, false);
      if (error) {
        plans.set(vm, { error });
        return false;
      }
    }
    return true;
  });
  for (const vm of vms) {
    const error = operationError(sim, vm);
    if (error) plans.set(vm, { error });
  }
  const free = new Map(targets.map((h) => [h, hostFreeMemory(sim, h)]));
  const bySize = migratable.map((vm) => ({ vm, need: vmStartMemory(sim.store.mustGet('VM', vm)) })).sort((a, b) => b.need - a.need);
  for (const { vm, need } of bySize) {
    const best = [...free.entries()].filter(([, f]) => f >= need).sort((a, b) => b[1] - a[1])[0];
    if (!best) {
      plans.set(vm, { error: ['HOST_NOT_ENOUGH_FREE_MEMORY', vm] });
      continue;
    }
    free.set(best[0], best[1] - need);
    const error = bootError(sim, vm, best[0], false);
    if (error) plans.set(vm, { error });
    else if (!plans.has(vm)) plans.set(vm, { host: best[0] });
  }
  return plans;
}

export function planErrors(plans: Map<string, Plan>): Array<[string, string[]]> {
  return [...plans.entries()].flatMap(([vm, p]) => ('error' in p ? [[vm, p.error] as [string, string[]]] : []));
}
