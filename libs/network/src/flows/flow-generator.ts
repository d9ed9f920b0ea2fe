import { CANARY_COOKIE, CANARY_TABLE, CookieKind, makeCookie } from './cookie.js';
import { compareFlows, flowText } from './flow-text.js';
import { securityGroupFlows } from './security-group-flows.js';
import { validateFlowState } from './validate-state.js';
import { gatewayFlows } from './gateway-flows.js';
import { providerFlows } from './provider-flows.js';
import type { Flow, FlowNetwork, HostFlowState, LocalPort, RemoteHost } from './types.js';

/** Pipeline tables (network.md §1.5/§4.2); 20/21 and 41 stay free for security groups. */
export const FlowTable = { Classify: 0, PortSecurity: 10, L2: 30, Flood: 35, Deliver: 40, Canary: CANARY_TABLE } as const;

// Above xapi's table-0 bands (4000..8000, network.md §1.4) so a VIF we own is classified by us first.
const CLASSIFY_PRIORITY = 9000;
// Priority 1, not 0: xapi/networkd may own a priority-0 flow in table 0; an equal match would overwrite it.
const CLASSIFY_DROP_PRIORITY = 1;

const T = FlowTable;
const MULTICAST = '01:00:00:00:00:00/01:00:00:00:00:00';
const base = makeCookie(CookieKind.Base, 0);

/** Floodable control traffic: ARP always, IPv6 neighbour discovery only where a VIF speaks IPv6. */
function floodKinds(v6: boolean): string[] {
  return v6 ? ['arp', 'icmp6,icmp_type=135', 'icmp6,icmp_type=136'] : ['arp'];
}

function baseFlows(): Flow[] {
  return [
    { table: T.Classify, priority: CLASSIFY_DROP_PRIORITY, cookie: base, match: '', actions: 'drop' },
    { table: T.PortSecurity, priority: 0, cookie: base, match: '', actions: 'drop' },
    { table: T.L2, priority: 0, cookie: base, match: '', actions: 'drop' },
    { table: T.Flood, priority: 0, cookie: base, match: '', actions: 'drop' },
    { table: T.Deliver, priority: 0, cookie: base, match: '', actions: 'drop' },
    { table: T.Canary, priority: 0, cookie: CANARY_COOKIE, match: '', actions: 'drop' },
  ];
}

/** Egress from a VIF: classify, then allow only its own MAC/IP/ARP identity (anti-spoofing). */
function portFlows(p: LocalPort): Flow[] {
  const cookie = makeCookie(CookieKind.Port, p.key);
  const r = `reg5=${p.key}`;
  const flows: Flow[] = [
    {
      table: T.Classify,
      priority: CLASSIFY_PRIORITY,
      cookie,
      match: `in_port=${p.ofport}`,
      actions: `set_field:${p.key}->reg5,set_field:${p.networkId}->reg6,goto_table:${T.PortSecurity}`,
    },
    // reg6 in the lookup keeps a MAC reachable only from its own network.
    { table: T.L2, priority: 100, cookie, match: `reg6=${p.networkId},dl_dst=${p.mac}`, actions: `set_field:${p.key}->reg7,goto_table:${T.Deliver}` },
    { table: T.Deliver, priority: 100, cookie, match: `reg7=${p.key}`, actions: `output:${p.ofport}` },
  ];
  if (p.ipv4 !== undefined) {
    flows.push(
      // A VM must not answer DHCP for its neighbours, even from its own address.
      { table: T.PortSecurity, priority: 120, cookie, match: `udp,${r},tp_src=67`, actions: 'drop' },
      { table: T.PortSecurity, priority: 100, cookie, match: `ip,${r},dl_src=${p.mac},nw_src=${p.ipv4}`, actions: `goto_table:${T.L2}` },
      {
        table: T.PortSecurity,
        priority: 100,
        cookie,
        match: `arp,${r},dl_src=${p.mac},arp_spa=${p.ipv4},arp_sha=${p.mac}`,
        actions: `goto_table:${T.L2}`,
      },
    );
  }
  if (p.allowIpv6) {
    flows.push(
      { table: T.PortSecurity, priority: 120, cookie, match: `icmp6,${r},icmp_type=134`, actions: 'drop' },
      { table: T.PortSecurity, priority: 120, cookie, match: `udp6,${r},tp_src=547`, actions: 'drop' },
      { table: T.PortSecurity, priority: 100, cookie, match: `ipv6,${r},dl_src=${p.mac}`, actions: `goto_table:${T.L2}` },
    );
  }
  return flows;
}

/** Networks a tunnel carries: explicit list, else those of its remote ports. */
function tunnelNetworks(h: RemoteHost): number[] {
  return [...new Set(h.networkIds ?? h.ports.map((p) => p.networkId))].sort((a, b) => a - b);
}

/** Per remote host: VNI → network on ingress, remote MAC → tunnel on egress (never tunnel to tunnel). */
function tunnelFlows(h: RemoteHost, networks: Map<number, FlowNetwork>): Flow[] {
  const cookie = makeCookie(CookieKind.Tunnel, h.key);
  const flows: Flow[] = tunnelNetworks(h).map((id) => ({
    table: T.Classify,
    priority: CLASSIFY_PRIORITY,
    cookie,
    match: `in_port=${h.tunnelOfport},tun_id=${networks.get(id)!.vni}`,
    actions: `set_field:${id}->reg6,set_field:1->reg4,goto_table:${T.L2}`,
  }));
  for (const rp of h.ports) {
    flows.push({
      table: T.L2,
      priority: 100,
      cookie,
      match: `reg4=0,reg6=${rp.networkId},dl_dst=${rp.mac}`,
      actions: `set_field:${networks.get(rp.networkId)!.vni}->tun_id,output:${h.tunnelOfport}`,
    });
  }
  return flows;
}

/** Per network: multicast goes to the flood table, which floods only ARP/ND and only inside the network. */
function networkFlows(n: FlowNetwork, ports: LocalPort[], hosts: RemoteHost[]): Flow[] {
  const cookie = makeCookie(CookieKind.Network, n.id);
  const locals = ports
    .filter((p) => p.networkId === n.id)
    .map((p) => p.ofport)
    .sort((a, b) => a - b);
  const tunnels = hosts
    .filter((h) => tunnelNetworks(h).includes(n.id))
    .map((h) => h.tunnelOfport)
    .sort((a, b) => a - b);
  const toLocal = locals.map((o) => `output:${o}`);
  const toAll = tunnels.length ? [...toLocal, `set_field:${n.vni}->tun_id`, ...tunnels.map((o) => `output:${o}`)] : toLocal;
  const v6 = ports.some((p) => p.networkId === n.id && p.allowIpv6);
  const flows: Flow[] = [{ table: T.L2, priority: 50, cookie, match: `reg6=${n.id},dl_dst=${MULTICAST}`, actions: `goto_table:${T.Flood}` }];
  for (const kind of floodKinds(v6)) {
    // reg4=1 (from a tunnel) floods locally only: split horizon, no loops between hosts.
    flows.push(
      { table: T.Flood, priority: 100, cookie, match: `${kind},reg4=0,reg6=${n.id}`, actions: toAll.join(',') || 'drop' },
      { table: T.Flood, priority: 100, cookie, match: `${kind},reg4=1,reg6=${n.id}`, actions: toLocal.join(',') || 'drop' },
    );
  }
  return flows;
}

/**
 * Generates the complete, sorted OpenFlow flow set for one host's integration bridge.
 * Pure and deterministic: the same state (in any input order) gives the same flows.
 * Isolation comes from reg6 (network) and the VNI only, never from IP addresses.
 * @throws RangeError when the state is inconsistent (unknown network, duplicate ofport/MAC/IP, ...).
 */
export function generateFlows(state: HostFlowState): Flow[] {
  const networks = validateFlowState(state);
  const flows = baseFlows();
  for (const p of state.ports) flows.push(...portFlows(p));
  for (const h of state.remoteHosts) flows.push(...tunnelFlows(h, networks));
  for (const n of networks.values()) flows.push(...networkFlows(n, state.ports, state.remoteHosts));
  // Issue 16: provider networks' uplink and the tenant gateways' responders (their own files; absent, nothing changes).
  for (const n of networks.values())
    flows.push(...providerFlows(n, state.ports, floodKinds(state.ports.some((p) => p.networkId === n.id && p.allowIpv6))));
  for (const g of state.gateways ?? []) flows.push(...gatewayFlows(g));
  flows.push(...securityGroupFlows(state));
  flows.sort(compareFlows);
  for (let i = 1; i < flows.length; i++) {
    // Same table+priority+match twice would make OVS keep only one: a generator bug, never ship it.
    const [a, b] = [flows[i - 1], flows[i]];
    if (a.table === b.table && a.priority === b.priority && a.match === b.match) throw new Error(`duplicate flow: ${flowText(b)}`);
  }
  return flows;
}

/** `generateFlows` rendered as `ovs-ofctl add-flows` lines. */
export function generateFlowText(state: HostFlowState): string[] {
  return generateFlows(state).map(flowText);
}
