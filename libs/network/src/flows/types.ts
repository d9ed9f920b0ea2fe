/** Inputs and output of the per-host flow generator (network.md §4.2). */
import type { SecurityFlowState } from './security-group.types.js';

/** A tenant network as the flows see it: its register value, VXLAN VNI and IPv4 subnet. */
export interface FlowNetwork {
  /** Network key (int32, > 0): loaded into reg6 and used in the network cookie. */
  id: number;
  /** 24-bit VXLAN VNI carried on the tunnels for this network. */
  vni: number;
  /** IPv4 subnet, e.g. `10.0.0.0/24`. */
  cidr: string;
  /** Gateway address reserved in the subnet (never a VIF's address). */
  gateway: string;
  /** A provider network (issue 16): reached through the host's uplink, never a tunnel; its VNI is unused (0). */
  provider?: ProviderEdge;
}

/** Where a provider network meets this host's uplink: the patch port to the uplink's bridge and the edge VLAN tag. */
export interface ProviderEdge {
  /** ofport, on the integration bridge, of our patch port to the provider network's bridge. */
  patchOfport: number;
  /** 802.1Q tag pushed towards the uplink and expected from it; null when the network is untagged. */
  vlanTag: number | null;
}

/** A tenant network's gateway answered in flows (ARP and ping), so the address handed out is never dead. */
export interface GatewayResponder {
  networkId: number;
  ip: string;
  /** The MAC the gateway answers with (locally administered, one per network). */
  mac: string;
}

/** A VIF plugged into this host's integration bridge (observed ofport + desired identity). */
export interface LocalPort {
  /** Stable port key (DB sequence id, 1..2^32-1): loaded into reg5/reg7 and used in the port cookie. */
  key: number;
  /** OpenFlow port number assigned by vswitchd. */
  ofport: number;
  /** The VIF's MAC (`aa:bb:cc:dd:ee:ff`); the only source MAC the VIF may use. */
  mac: string;
  /** The VIF's IPv4 address; without it the port may send no IPv4 and no ARP. */
  ipv4?: string;
  /** Network the VIF belongs to (FlowNetwork.id). */
  networkId: number;
  /** Let the VIF send IPv6 from its own MAC (router adverts and DHCPv6 server replies stay dropped). */
  allowIpv6?: boolean;
}

/** A VIF on another host, reachable through that host's tunnel. */
export interface RemotePort {
  mac: string;
  networkId: number;
}

/**
 * Another host sharing networks with this one. Design choice (network.md §4.2): one VXLAN port per
 * remote host with `options:key=flow`, the VNI set per packet with `set_field:VNI->tun_id`.
 */
export interface RemoteHost {
  /** Stable host key (DB id, < 2^48) used in the tunnel cookie. */
  key: number;
  /** ofport of the `type=vxlan, options:{remote_ip, key=flow}` port towards that host. */
  tunnelOfport: number;
  /** Networks carried on this tunnel (flooding and tunnel ingress); defaults to its ports' networks. */
  networkIds?: number[];
  /** Remote VIFs: unicast to their MAC goes out this tunnel with the network's VNI. */
  ports: RemotePort[];
}

/** Everything the flows of one host's integration bridge are generated from. */
export interface HostFlowState {
  /** Integration bridge name (informational; the applier addresses the bridge by socket). */
  bridge: string;
  networks: FlowNetwork[];
  ports: LocalPort[];
  remoteHosts: RemoteHost[];
  /** Issue 16: distributed gateway responders for tenant networks (provider networks have a real router). */
  gateways?: GatewayResponder[];
  /** Security groups (issue 16); absent: ports are not filtered beyond anti-spoofing. */
  security?: SecurityFlowState;
}

/** One OpenFlow flow in `ovs-ofctl add-flow` terms. */
export interface Flow {
  table: number;
  priority: number;
  /** Full 64-bit cookie; always carries OWNER_COOKIE in its high byte. */
  cookie: bigint;
  /** Match fields, comma-separated (empty string = match all). */
  match: string;
  actions: string;
}
