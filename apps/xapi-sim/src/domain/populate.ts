// Bulk VMs for scale runs (POST /sim/populate, SIM_PREPOPULATE_VMS): every other one running, spread over the hosts.
import type { SimState } from '../sim/sim-state.js';
import { newUuid } from '../util/ids.js';
import { syncConsoles } from './consoles.js';
import { hostFreeMemory, refreshHostMetrics } from './host-memory.js';
import { createVif } from './vifs.js';
import { createVm } from './vm-factory.js';

const MiB = 1024 ** 2;
const vmMemory = 256 * MiB;

export function populateVms(sim: SimState, count: number): { created: number; running: number } {
  const { store } = sim;
  const network = store.all('network').find(([, n]) => n.bridge === 'xenbr0')?.[0];
  const free = new Map(sim.hostRefs.map((h) => [h, hostFreeMemory(sim, h)]));
  let running = 0;
  for (let i = 0; i < count; i++) {
    const n = ++sim.populated; // pop-vm-1, pop-vm-2, ...: odd ones run
    const host = sim.hostRefs[i % sim.hostRefs.length];
    // A host that is full keeps the rest of its share halted, as xapi would refuse to start them.
    const run = n % 2 === 1 && free.get(host)! >= vmMemory;
    if (run) free.set(host, free.get(host)! - vmMemory);
    const vm = createVm(sim, {
      name_label: `pop-vm-${n}`,
      name_description: 'Populated for scale runs',
      power_state: run ? 'Running' : 'Halted',
      resident_on: run ? host : 'OpaqueRef:NULL',
      domid: run ? sim.nextDomid(host) : -1,
      is_a_template: false,
      memory_static_min: vmMemory,
      memory_dynamic_min: vmMemory,
      memory_dynamic_max: vmMemory,
      memory_static_max: vmMemory,
      memory_target: run ? vmMemory : 0,
      VCPUs_max: 1,
      VCPUs_at_startup: 1,
      domain_type: 'hvm',
      actions_after_shutdown: 'destroy',
      actions_after_reboot: 'restart',
      actions_after_crash: 'restart',
      other_config: { mac_seed: newUuid(), 'sim:populated': 'true', base_template_name: 'Debian Bookworm 12' },
      tags: [run ? 'running' : 'halted'],
      user_version: 1,
    });
    if (network) {
      const vif = createVif(sim, { VM: vm, network, device: '0', MAC: '', MTU: 0, other_config: {} });
      if (run) store.update('VIF', vif, { currently_attached: true });
    }
    if (run) {
      running++;
      syncConsoles(sim, vm);
    }
  }
  for (const h of sim.hostRefs) refreshHostMetrics(sim, h);
  sim.log.info('populated', { vms: count, running });
  return { created: count, running };
}
