// Provider networks on the integration bridge (issue 16, OVN's "localnet"): the uplink's bridge is joined by a patch
// port, frames from it are classified to the network (the VLAN tag stripped at the edge), and what a local VIF sends
// to no local MAC leaves through it (tagged). Never through a tunnel: each host uses its own uplink.
import { CookieKind, makeCookie } from './cookie.js';
import type { Flow, FlowNetwork, LocalPort } from './types.js';

// Above xapi's table-0 bands, as the VIF classifiers (flow-generator.ts).
const CLASSIFY_PRIORITY = 9000;
// Below a local MAC (100) and multicast (50): only what no local VIF owns goes out.
const UPLINK_PRIORITY = 10;
// Above the network's own flood (100), which knows no uplink.
const FLOOD_PRIORITY = 110;
const TABLE = { Classify: 0, L2: 30, Flood: 35 } as const;

/** OpenFlow 1.3+ VLAN: match the VID with its present bit; push explicitly (mod_vlan_vid's push is OF1.0 only). */
const tagMatch = (tag: number | null) => (tag === null ? 'vlan_tci=0x0000/0x1fff' : `dl_vlan=${tag}`);
const toUplink = (n: FlowNetwork) =>
  n.provider!.vlanTag === null
    ? `output:${n.provider!.patchOfport}`
    : `push_vlan:0x8100,set_field:${4096 + n.provider!.vlanTag}->vlan_vid,output:${n.provider!.patchOfport}`;

/** The flows of one provider network on this host; `ports` are all local ports (its own are picked here). */
export function providerFlows(n: FlowNetwork, ports: LocalPort[], floodKinds: string[]): Flow[] {
  if (!n.provider) return [];
  const cookie = makeCookie(CookieKind.Network, n.id);
  const edge = n.provider;
  const locals = ports
    .filter((p) => p.networkId === n.id)
    .map((p) => `output:${p.ofport}`)
    .sort();
  const flows: Flow[] = [
    {
      // reg4=1, as from a tunnel: it floods to local VIFs only and is never sent back out (split horizon).
      table: TABLE.Classify,
      priority: CLASSIFY_PRIORITY,
      cookie,
      match: `in_port=${edge.patchOfport},${tagMatch(edge.vlanTag)}`,
      actions: `${edge.vlanTag === null ? '' : 'pop_vlan,'}set_field:${n.id}->reg6,set_field:1->reg4,goto_table:${TABLE.L2}`,
    },
    { table: TABLE.L2, priority: UPLINK_PRIORITY, cookie, match: `reg4=0,reg6=${n.id}`, actions: toUplink(n) },
  ];
  for (const kind of floodKinds) {
    // Local VIFs first, then the uplink: the push changes the frame, so it must come last.
    flows.push({
      table: TABLE.Flood,
      priority: FLOOD_PRIORITY,
      cookie,
      match: `${kind},reg4=0,reg6=${n.id}`,
      actions: [...locals, toUplink(n)].join(','),
    });
  }
  return flows;
}
