// What a completed live migration changes (xapi_vm_migrate.ml pool_migrate_complete): the VM's domain is now a
// new one on the destination, its memory is held there, and its consoles are the destination's.
import type { SimState } from '../sim/sim-state.js';
import { NULL_REF } from '../util/ids.js';
import { nowXapiDate } from '../util/xapi-time.js';
import { syncConsoles } from './consoles.js';
import { refreshHostMetrics } from './host-memory.js';
import { refreshAllowedOperations } from './vm-state.js';
import { scalar } from '../datamodel/defaults.js';

export function moveDomain(sim: SimState, vmRef: string, destination: string, domid: number): void {
  const vm = sim.store.mustGet('VM', vmRef);
  const source = scalar(vm.resident_on);
  sim.store.update('VM', vmRef, { resident_on: destination, scheduled_to_be_resident_on: NULL_REF, domid });
  const metrics = scalar(vm.metrics);
  if (sim.store.get('VM_metrics', metrics)) sim.store.update('VM_metrics', metrics, { last_updated: nowXapiDate() });
  syncConsoles(sim, vmRef);
  refreshHostMetrics(sim, source);
  refreshHostMetrics(sim, destination);
  refreshAllowedOperations(sim, vmRef);
}
