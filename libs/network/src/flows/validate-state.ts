import { ipToInt, parseTenantCidr } from '../cidr.js';
import { parseProviderCidr } from '../provider-subnet.js';
import type { FlowNetwork, HostFlowState } from './types.js';

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function fail(msg: string): never {
  throw new RangeError(`flow state: ${msg}`);
}

function checkInt(what: string, n: number, min: number, max: number): void {
  if (!Number.isInteger(n) || n < min || n > max) fail(`${what} ${n} outside ${min}..${max}`);
}

function checkMac(what: string, mac: string): void {
  // Lower-case only, so the generated text and OVS's normalised dump agree.
  if (!MAC_RE.test(mac)) fail(`${what} MAC ${mac} is not lower-case aa:bb:cc:dd:ee:ff`);
  if (parseInt(mac.slice(0, 2), 16) & 1) fail(`${what} MAC ${mac} is multicast`);
}

const subnetOf = (n: FlowNetwork) => (n.provider ? parseProviderCidr(n.cidr) : parseTenantCidr(n.cidr));

/**
 * Rejects inconsistent input before any flow is generated: a bad state must never become flows
 * that merge two networks or open a port.
 */
export function validateFlowState(state: HostFlowState): Map<number, FlowNetwork> {
  const networks = new Map<number, FlowNetwork>();
  const vnis = new Set<number>();
  for (const n of state.networks) {
    checkInt('network id', n.id, 1, 0x7fffffff);
    if (networks.has(n.id)) fail(`network id ${n.id} appears twice`);
    // A provider network is never tunnelled (its VNI is unused) and may be any subnet the operator routes.
    if (n.provider) {
      checkInt(`provider network ${n.id} patch ofport`, n.provider.patchOfport, 1, 0xfeff);
      if (n.provider.vlanTag !== null) checkInt(`provider network ${n.id} VLAN`, n.provider.vlanTag, 1, 4094);
    } else {
      checkInt(`network ${n.id} VNI`, n.vni, 1, 0xffffff);
      if (vnis.has(n.vni)) fail(`VNI ${n.vni} used by two networks`);
    }
    const subnet = subnetOf(n);
    const gw = ipToInt(n.gateway);
    if (gw <= subnet.network || gw >= subnet.broadcast) fail(`network ${n.id} gateway ${n.gateway} outside ${n.cidr}`);
    networks.set(n.id, n);
    if (!n.provider) vnis.add(n.vni);
  }
  const keys = new Set<number>();
  const ofports = new Set<number>();
  const macs = new Set<string>();
  const ips = new Set<string>();
  for (const p of state.ports) {
    checkInt('port key', p.key, 1, 0xffffffff);
    checkInt(`port ${p.key} ofport`, p.ofport, 1, 0xfeff);
    checkMac(`port ${p.key}`, p.mac);
    const net = networks.get(p.networkId) ?? fail(`port ${p.key} is on unknown network ${p.networkId}`);
    if (keys.has(p.key)) fail(`port key ${p.key} appears twice`);
    if (ofports.has(p.ofport)) fail(`ofport ${p.ofport} used by two ports`);
    if (macs.has(`${p.networkId}/${p.mac}`)) fail(`MAC ${p.mac} twice on network ${p.networkId}`);
    keys.add(p.key);
    ofports.add(p.ofport);
    macs.add(`${p.networkId}/${p.mac}`);
    if (p.ipv4 !== undefined) {
      const subnet = subnetOf(net);
      const ip = ipToInt(p.ipv4);
      if (ip <= subnet.network || ip >= subnet.broadcast || p.ipv4 === net.gateway) {
        fail(`port ${p.key} address ${p.ipv4} is not a host address of ${net.cidr}`);
      }
      if (ips.has(`${p.networkId}/${p.ipv4}`)) fail(`address ${p.ipv4} twice on network ${p.networkId}`);
      ips.add(`${p.networkId}/${p.ipv4}`);
    }
  }
  const hostKeys = new Set<number>();
  for (const h of state.remoteHosts) {
    checkInt('remote host key', h.key, 0, 2 ** 48 - 1);
    checkInt(`remote host ${h.key} tunnel ofport`, h.tunnelOfport, 1, 0xfeff);
    if (hostKeys.has(h.key)) fail(`remote host key ${h.key} appears twice`);
    if (ofports.has(h.tunnelOfport)) fail(`ofport ${h.tunnelOfport} used twice`);
    hostKeys.add(h.key);
    ofports.add(h.tunnelOfport);
    for (const id of h.networkIds ?? []) if (!networks.has(id)) fail(`remote host ${h.key} carries unknown network ${id}`);
    for (const rp of h.ports) {
      checkMac(`remote port on host ${h.key}`, rp.mac);
      if (!networks.has(rp.networkId)) fail(`remote port ${rp.mac} is on unknown network ${rp.networkId}`);
      if (macs.has(`${rp.networkId}/${rp.mac}`)) fail(`MAC ${rp.mac} twice on network ${rp.networkId}`);
      macs.add(`${rp.networkId}/${rp.mac}`);
    }
  }
  return networks;
}
