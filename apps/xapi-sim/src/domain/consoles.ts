// Console records as xapi keeps them from xenopsd's VM state (ocaml/xapi/xapi_xenops.ml, "consoles"): an rfb
// console (and a vt100 one for PV guests) while the domain exists, located at https://<host address>/console?uuid=...
// The simulator's location is its own HTTP listener for that host instead, which a client can reach.
import type { XRecord } from '../datamodel/defaults.js';
import type { SimState } from '../sim/sim-state.js';
import { domainKey } from '../console/console-links.js';
import { isNullRef, newUuid } from '../util/ids.js';
import { scalar } from '../datamodel/defaults.js';

export function hasDomain(vm: XRecord): boolean {
  const live = vm.power_state === 'Running' || vm.power_state === 'Paused';
  return live && !isNullRef(scalar(vm.resident_on)) && Number(vm.domid) > 0 && vm.is_control_domain !== true;
}

// xenopsd reports a text console (tc-port) only for PV guests; HVM and PVH guests have qemu's VNC alone.
function protocolsOf(vm: XRecord): string[] {
  return vm.domain_type === 'pv' ? ['rfb', 'vt100'] : ['rfb'];
}

export function consoleUri(sim: SimState, hostRef: string): string {
  const index = sim.hostRefs.indexOf(hostRef) + 1;
  const base = sim.net?.urlOf(index) ?? `http://${scalar(sim.store.get('host', hostRef)?.address ?? '127.0.0.1')}`;
  return `${base}/console`;
}

const withoutQuery = (location: string) => location.split('?')[0];

/** Creates and destroys the VM's console records to match its domain, as xapi does on each xenopsd event. */
export function syncConsoles(sim: SimState, vmRef: string): void {
  const vm = sim.store.get('VM', vmRef);
  if (!vm) return;
  const host = scalar(vm.resident_on);
  const live = hasDomain(vm);
  const uri = live ? consoleUri(sim, host) : '';
  const wanted = new Set(live ? protocolsOf(vm).map((p) => `${p} ${uri}`) : []);
  const have = new Set<string>();
  for (const ref of [...(vm.consoles as string[])]) {
    const c = sim.store.get('console', ref);
    if (!c) continue;
    const key = `${scalar(c.protocol)} ${withoutQuery(scalar(c.location))}`;
    if (wanted.has(key) && !have.has(key)) have.add(key);
    else sim.store.destroy('console', ref);
  }
  for (const key of wanted) {
    if (have.has(key)) continue;
    const protocol = key.split(' ')[0];
    const uuid = newUuid();
    sim.store.create('console', { uuid, protocol, location: `${uri}?uuid=${uuid}`, VM: vmRef, other_config: {} });
  }
  sim.consoleLinks.sever(vmRef, live ? domainKey(host, Number(vm.domid)) : undefined);
}
