// A tenant network's gateway answers ARP and ping itself (issue 16): a distributed responder on every host, in flows,
// so the gateway address cloud-init configures is not a dead one. Only what a local VIF sends is answered.
import { CookieKind, makeCookie } from './cookie.js';
import type { Flow, GatewayResponder } from './types.js';

// Above the L2 lookups (100) and the multicast flood (50) of table 30.
const RESPONDER_PRIORITY = 200;
const L2 = 30;

/** The gateway's MAC for a network: locally administered unicast, 0a:5a + the network key, so it is stable. */
export function gatewayMac(networkId: number): string {
  const b = [0x0a, 0x5a, (networkId >>> 24) & 255, (networkId >>> 16) & 255, (networkId >>> 8) & 255, networkId & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export function gatewayFlows(g: GatewayResponder): Flow[] {
  const cookie = makeCookie(CookieKind.Network, g.networkId);
  return [
    {
      // An ARP request for the gateway becomes the reply, sent back where it came from.
      table: L2,
      priority: RESPONDER_PRIORITY,
      cookie,
      match: `arp,reg4=0,reg6=${g.networkId},arp_op=1,arp_tpa=${g.ip}`,
      actions: [
        'move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]',
        `set_field:${g.mac}->eth_src`,
        'set_field:2->arp_op',
        'move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[]',
        'move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[]',
        `set_field:${g.mac}->arp_sha`,
        `set_field:${g.ip}->arp_spa`,
        'IN_PORT',
      ].join(','),
    },
    {
      // An echo request to the gateway becomes the echo reply (OVS fixes the checksums it changes).
      table: L2,
      priority: RESPONDER_PRIORITY,
      cookie,
      match: `icmp,reg4=0,reg6=${g.networkId},dl_dst=${g.mac},nw_dst=${g.ip},icmp_type=8,icmp_code=0`,
      actions: [
        'move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]',
        `set_field:${g.mac}->eth_src`,
        'move:NXM_OF_IP_SRC[]->NXM_OF_IP_DST[]',
        `set_field:${g.ip}->ip_src`,
        'set_field:64->nw_ttl',
        'set_field:0->icmp_type',
        'IN_PORT',
      ].join(','),
    },
  ];
}
