// Bringing a pool back from disk, and starting one afresh (SIM_RESET, POST /sim/reset).
import { refreshDeviceOperations } from '../domain/device-lifecycle.js';
import { refreshAllowedOperations } from '../domain/vm-state.js';
import { seedPool } from '../seed/seed-pool.js';
import type { SimState } from '../sim/sim-state.js';
import type { LoadedPool } from './pool-files.js';
import { scalar } from '../datamodel/defaults.js';

// As xapi after a restart: its tasks are gone, so nothing is in progress any more (ocaml/xapi/dbsync_master.ml
// -> cancel_tasks.ml cancel_tasks_on_host, then allowed_operations recomputed); every host is up; VMs keep their
// power state and resident host.
export function restorePool(sim: SimState, pool: LoadedPool): void {
  sim.store.restore(pool.rows.values(), pool.meta.generation);
  sim.applyMeta(pool.meta);
  for (const cls of sim.dm.classes.values()) {
    if (!cls.field.has('current_operations')) continue;
    const busy = sim.store.all(cls.name).filter(([, r]) => Object.keys((r.current_operations ?? {}) as object).length > 0);
    for (const [ref] of busy) {
      sim.store.update(cls.name, ref, { current_operations: {} });
      if (cls.name === 'VM') refreshAllowedOperations(sim, ref);
      if (cls.name === 'VBD' || cls.name === 'VIF') refreshDeviceOperations(sim, cls.name, ref);
    }
  }
  for (const host of sim.hostRefs) {
    const metrics = scalar(sim.store.get('host', host)?.metrics ?? '');
    if (sim.store.get('host_metrics', metrics)?.live === false) sim.store.update('host_metrics', metrics, { live: true });
  }
}

// The VMs whose domains exist (Running or Paused), e.g. to re-plug or unplug their ports.
export function liveVms(sim: SimState): string[] {
  return sim.store
    .all('VM')
    .filter(([, v]) => v.power_state === 'Running' || v.power_state === 'Paused')
    .map(([ref]) => ref);
}

// A new pool (new uuids) with as many hosts as listen now; the files on disk are replaced by it.
export async function resetPool(sim: SimState): Promise<void> {
  const hosts = sim.hostRefs.length;
  const live = liveVms(sim);
  sim.store.restore([], sim.store.generation);
  sim.sessionActivity.clear();
  sim.applyMeta({ generation: sim.store.generation, poolRef: '', hostRefs: [], domids: {}, populated: 0 });
  seedPool(sim, hosts);
  if (sim.dataplane) {
    for (const vm of live) await sim.dataplane.sync(vm); // gone: their namespaces go
    sim.dataplane.publishHosts();
  }
  await sim.persistence?.reset();
}
