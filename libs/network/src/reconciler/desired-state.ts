// Pure: from the pool's DB view and this host's observed OVS ports to the host's flow inputs and bindings.
import { intToIp, parseTenantCidr } from '../cidr.js';
import type { VifInterface } from '../ovsdb/vswitch.queries.js';
import { gatewayMac } from '../flows/gateway-flows.js';
import type { FlowNetwork, HostFlowState, LocalPort, RemoteHost } from '../flows/types.js';
import type { DataplaneHost, DataplaneNic, NicBinding, PoolDataplaneView } from './dataplane.types.js';
import { securityFlowState } from './security-state.js';

/** What one host's bridge should carry, and what we know we do not know yet. */
export interface HostDesiredState {
  state: HostFlowState;
  /** Bindings observed on this host (to publish for the other hosts). */
  bindings: NicBinding[];
  /** False when an input was missing (a tunnel without ofport yet): apply adds only, delete nothing. */
  complete: boolean;
  /** Our VIFs plugged without an ofport yet: no flows, so the default drop isolates them. */
  pending: string[];
}

const nicId = (vmId: string, device: number) => `${vmId}/${device}`;

function flowNetwork(n: DataplaneNic['network'], patches: Map<string, number | undefined>): FlowNetwork | undefined {
  if (!n.provider) return { id: n.key, vni: n.vni, cidr: n.cidr, gateway: intToIp(parseTenantCidr(n.cidr).gateway) };
  const patchOfport = patches.get(n.provider.bridge);
  // No patch port yet (being made, or no such bridge here): its NICs wait, isolated by the default drop.
  if (patchOfport === undefined) return undefined;
  return { id: n.key, vni: 0, cidr: n.cidr, gateway: n.provider.gateway, provider: { patchOfport, vlanTag: n.provider.vlanTag } };
}

/** The NIC a plugged interface stands for: same VM, MAC and XAPI network (xapi's external_ids are trusted). */
function matchNic(vif: VifInterface, byVmMac: Map<string, DataplaneNic>): DataplaneNic | undefined {
  if (!vif.vmUuid || !vif.attachedMac) return undefined;
  const nic = byVmMac.get(`${vif.vmUuid}|${vif.attachedMac.toLowerCase()}`);
  return nic && nic.network.xapiUuid === vif.networkUuid ? nic : undefined;
}

// HVM guests show tapD.N and vifD.N for one VIF; the PV device is the one that carries traffic once drivers load.
const preferVif = (a: VifInterface, b: VifInterface) => (a.name.startsWith('vif') ? a : b.name.startsWith('vif') ? b : a);

/**
 * Derives one host's flow state.
 * @param tunnels ofport of our VXLAN port towards each other host, by host id (undefined: not assigned yet).
 */
export function desiredHostState(
  self: DataplaneHost,
  bridge: string,
  view: PoolDataplaneView,
  vifs: VifInterface[],
  tunnels: Map<string, number | undefined>,
  patches: Map<string, number | undefined> = new Map(),
  ovsVersion?: string,
): HostDesiredState {
  const byVmMac = new Map(view.nics.filter((n) => n.vmXapiUuid).map((n) => [`${n.vmXapiUuid}|${n.mac.toLowerCase()}`, n]));
  const local = new Map<string, { nic: DataplaneNic; vif: VifInterface }>();
  const pending: string[] = [];
  for (const vif of vifs) {
    const nic = matchNic(vif, byVmMac);
    if (!nic) continue; // not ours (or not yet known): no flows, so the default drop isolates it
    if (vif.ofport === undefined || (nic.network.provider && patches.get(nic.network.provider.bridge) === undefined)) {
      pending.push(vif.name);
      continue;
    }
    const id = nicId(nic.vmId, nic.device);
    const seen = local.get(id);
    local.set(id, { nic, vif: seen ? preferVif(seen.vif, vif) : vif });
  }
  const ports: LocalPort[] = [...local.values()].map(({ nic, vif }) => ({
    key: nic.portKey,
    ofport: vif.ofport!,
    mac: nic.mac.toLowerCase(),
    ipv4: nic.ip,
    networkId: nic.network.key,
  }));
  const bindings: NicBinding[] = [...local.values()].map(({ nic, vif }) => ({
    vmId: nic.vmId,
    device: nic.device,
    hostId: self.id,
    iface: vif.name,
    ofport: vif.ofport!,
  }));
  const networks = new Map<number, FlowNetwork>();
  for (const { nic } of local.values()) networks.set(nic.network.key, flowNetwork(nic.network, patches)!);

  // Remote VIFs in our networks, at the host that last reported them (during a migration, the latest report wins).
  const nicsById = new Map(view.nics.map((n) => [nicId(n.vmId, n.device), n]));
  const remoteByHost = new Map<string, RemoteHost['ports']>();
  const placed = new Set<string>();
  for (const b of view.bindings) {
    const id = nicId(b.vmId, b.device);
    const nic = nicsById.get(id);
    // A provider network's VIFs elsewhere are reached over the uplink, never a tunnel.
    if (b.hostId === self.id || local.has(id) || placed.has(id) || !nic || !networks.has(nic.network.key) || nic.network.provider) continue;
    placed.add(id);
    const list = remoteByHost.get(b.hostId) ?? [];
    if (list.length === 0) remoteByHost.set(b.hostId, list);
    list.push({ mac: nic.mac.toLowerCase(), networkId: nic.network.key }); // in place: a copy per binding was quadratic
  }
  let complete = true;
  const remoteHosts: RemoteHost[] = [];
  for (const host of view.hosts) {
    const rports = remoteByHost.get(host.id);
    if (host.id === self.id || !rports) continue;
    const ofport = tunnels.get(host.id);
    if (ofport === undefined) {
      complete = false; // its tunnel is being created: keep whatever flows exist, add the rest next pass
      continue;
    }
    remoteHosts.push({ key: host.key, tunnelOfport: ofport, ports: rports });
  }
  const gateways = [...networks.values()].filter((n) => !n.provider).map((n) => ({ networkId: n.id, ip: n.gateway, mac: gatewayMac(n.id) }));
  if (pending.length && [...patches.values()].includes(undefined)) complete = false;
  const state = { bridge, networks: [...networks.values()], ports, remoteHosts, gateways };
  const locals = [...local.values()].map(({ nic }) => nic);
  const security = view.security && securityFlowState(view.security, view.nics, locals, ovsVersion);
  return { state: security ? { ...state, security } : state, bindings, complete, pending };
}
