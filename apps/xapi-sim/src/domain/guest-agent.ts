// A Linux guest with tools: what it writes to xenstore, and VM_guest_metrics built from it as
// ocaml/xapi/xapi_guest_agent.ml builds them. Tools can be switched off (no metrics, so no hot-plug) through /sim.
import type { XRecord } from '../datamodel/defaults.js';
import type { SimState } from '../sim/sim-state.js';
import { NULL_REF, isNullRef } from '../util/ids.js';
import { nowXapiDate } from '../util/xapi-time.js';
import { scalar } from '../datamodel/defaults.js';

export type Tristate = 'yes' | 'no' | 'unspecified';

export interface GuestTools {
  present: boolean;
  hotplugVbd?: Tristate; // written as feature/hotplug/vbd when yes/no; the Linux agent leaves it unset
  hotplugVif?: Tristate;
  refuseDetach?: boolean; // the guest refuses VBD hot-unplug (xenopsd Device_detach_rejected)
}

const guests = new WeakMap<SimState, Map<string, GuestTools>>();

export function guestTools(sim: SimState, vmRef: string): GuestTools {
  let m = guests.get(sim);
  if (!m) guests.set(sim, (m = new Map<string, GuestTools>()));
  return m.get(vmRef) ?? { present: true };
}

export function setGuestTools(sim: SimState, vmRef: string, tools: GuestTools): void {
  guestTools(sim, vmRef);
  guests.get(sim)!.set(vmRef, tools);
}

const distros: Record<string, Record<string, string>> = {
  'debian-12': { name: 'Debian GNU/Linux 12 (bookworm)', uname: '6.1.0-18-amd64', distro: 'debian', major: '12', minor: '5' },
  'ubuntu-22.04': { name: 'Ubuntu 22.04.4 LTS', uname: '5.15.0-105-generic', distro: 'ubuntu', major: '22', minor: '04' },
  'ubuntu-24.04': { name: 'Ubuntu 24.04 LTS', uname: '6.8.0-31-generic', distro: 'ubuntu', major: '24', minor: '04' },
  'rocky-9': { name: 'Rocky Linux 9.4 (Blue Onyx)', uname: '5.14.0-427.13.1.el9_4.x86_64', distro: 'rocky', major: '9', minor: '4' },
};

// The guest configures the addresses the control plane left in vm-data/ip<device> ("a.b.c.d/len", comma-separated,
// IPv6 too) and its agent reports them under attr/vif/<device>/ipv4|ipv6/<n>.
export function guestXenstore(vm: XRecord, tools: GuestTools): Map<string, string> {
  const xs = new Map<string, string>();
  for (const [key, value] of Object.entries(vm.xenstore_data as Record<string, string>)) {
    const m = /^vm-data\/ip(\d+)$/.exec(key);
    if (!m) continue;
    const count = { ipv4: 0, ipv6: 0 };
    for (const addr of value
      .split(',')
      .map((a) => a.trim().split('/')[0])
      .filter(Boolean)) {
      const ver = addr.includes(':') ? 'ipv6' : 'ipv4';
      xs.set(`attr/vif/${m[1]}/${ver}/${count[ver]++}`, addr);
    }
  }
  const os = distros[scalar(vm.reference_label)] ?? {
    name: (vm.other_config as Record<string, string>).base_template_name ?? scalar(vm.name_label),
    distro: 'linux',
  };
  for (const [k, v] of Object.entries(os)) xs.set(k === 'name' || k === 'uname' || k === 'distro' ? `data/os_${k}` : `data/os_${k}ver`, v);
  for (const [k, v] of [
    ['MajorVersion', '7'],
    ['MinorVersion', '30'],
    ['MicroVersion', '0'],
    ['BuildVersion', '1'],
  ])
    xs.set(`attr/PVAddons/${k}`, v);
  for (const f of ['feature-shutdown', 'feature-poweroff', 'feature-reboot', 'feature-suspend', 'feature-vcpu-hotplug', 'feature-balloon'])
    xs.set(`control/${f}`, '1');
  if (tools.hotplugVbd && tools.hotplugVbd !== 'unspecified') xs.set('feature/hotplug/vbd', tools.hotplugVbd === 'yes' ? '1' : '0');
  if (tools.hotplugVif && tools.hotplugVif !== 'unspecified') xs.set('feature/hotplug/vif', tools.hotplugVif === 'yes' ? '1' : '0');
  return xs;
}

// xapi_guest_agent.ml `networks` for the attr/vif protocol: the first ipv4 is also <vif>/ip.
export function networksOf(xs: Map<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const num = (a: string, b: string) => Number(a) - Number(b);
  for (const [path, addr] of [...xs].filter(([p]) => p.startsWith('attr/vif/')).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))) {
    const [, , vif, ver, idx] = path.split('/');
    if ((ver !== 'ipv4' && ver !== 'ipv6') || !/^\d+$/.test(idx ?? '')) continue;
    out[`${vif}/${ver}/${idx}`] = addr;
    const first = [...xs.keys()]
      .filter((p) => p.startsWith(`attr/vif/${vif}/ipv4/`))
      .map((p) => p.split('/')[4])
      .sort(num)[0];
    if (ver === 'ipv4' && idx === first) out[`${vif}/ip`] = addr;
  }
  return out;
}

const tristate = (v: string | undefined): Tristate => (v === '1' ? 'yes' : v === '0' ? 'no' : 'unspecified');

function metricsFrom(xs: Map<string, string>): XRecord {
  const pick = (pairs: Array<[string, string]>) => Object.fromEntries(pairs.filter(([p]) => xs.has(p)).map(([p, k]) => [k, xs.get(p)!]));
  const pv = pick([
    ['attr/PVAddons/MajorVersion', 'major'],
    ['attr/PVAddons/MinorVersion', 'minor'],
    ['attr/PVAddons/MicroVersion', 'micro'],
    ['attr/PVAddons/BuildVersion', 'build'],
    ['attr/PVAddons/Application', 'application'],
  ]);
  if (Object.keys(pv).length > 0 && !('micro' in pv)) pv.micro = '-1';
  const other = Object.fromEntries([...xs].filter(([p]) => /^control\/[^/]+$/.test(p)).map(([p, v]) => [p.slice('control/'.length), v]));
  return {
    os_version: pick([
      ['data/os_name', 'name'],
      ['data/os_uname', 'uname'],
      ['data/os_distro', 'distro'],
      ['data/os_majorver', 'major'],
      ['data/os_minorver', 'minor'],
    ]),
    PV_drivers_version: pv,
    networks: networksOf(xs),
    other,
    can_use_hotplug_vbd: tristate(xs.get('feature/hotplug/vbd')),
    can_use_hotplug_vif: tristate(xs.get('feature/hotplug/vif')),
  };
}

// The agent's report for a running VM: guest metrics when tools run, none when they do not.
export function reportGuestAgent(sim: SimState, vmRef: string): void {
  const vm = sim.store.mustGet('VM', vmRef);
  const tools = guestTools(sim, vmRef);
  if (!tools.present) return dropGuestMetrics(sim, vmRef);
  const fields = { ...metricsFrom(guestXenstore(vm, tools)), last_updated: nowXapiDate(), live: true };
  const existing = isNullRef(vm.guest_metrics) ? undefined : sim.store.get('VM_guest_metrics', scalar(vm.guest_metrics));
  if (existing) return void sim.store.update('VM_guest_metrics', scalar(vm.guest_metrics), fields);
  const ref = sim.store.create('VM_guest_metrics', {
    ...fields,
    PV_drivers_detected: true,
    PV_drivers_up_to_date: true,
    memory: {},
    disks: {},
    services: {},
  });
  sim.store.update('VM', vmRef, { guest_metrics: ref });
}

// xapi drops a VM's guest metrics when its domain goes away.
export function dropGuestMetrics(sim: SimState, vmRef: string): void {
  const ref = scalar(sim.store.mustGet('VM', vmRef).guest_metrics);
  if (!isNullRef(ref) && sim.store.get('VM_guest_metrics', ref)) sim.store.destroy('VM_guest_metrics', ref);
  if (!isNullRef(ref)) sim.store.update('VM', vmRef, { guest_metrics: NULL_REF });
}

// Xapi_vm_helpers.copy_guest_metrics: a snapshot (or a reverted VM) gets its own copy; none when there is none.
export function copyGuestMetrics(sim: SimState, from: XRecord): string {
  const gm = isNullRef(from.guest_metrics) ? undefined : sim.store.get('VM_guest_metrics', scalar(from.guest_metrics));
  if (!gm) return NULL_REF;
  const { uuid: _uuid, ...rest } = gm;
  return sim.store.create('VM_guest_metrics', structuredClone(rest));
}
