/** Security-group inputs of the flow generator (issue 16): stateful, conntrack zone = the network (reg6). */

export type SgDirection = 'ingress' | 'egress';
export type SgProtocol = 'tcp' | 'udp' | 'icmp' | 'any';

/** One rule: what a new connection must look like to pass, seen from the port the group is on. */
export interface FlowSgRule {
  /** Stable rule key (DB sequence id, 1..2^29-1): conjunction ids of remote-group rules. */
  key: number;
  direction: SgDirection;
  protocol: SgProtocol;
  /** Destination port range (tcp/udp only); both absent = every port. */
  portMin?: number;
  portMax?: number;
  /** The peer's IPv4 CIDR (ingress: source, egress: destination); absent with remoteGroup. */
  remoteCidr?: string;
  /** The peer must be a member of this group (FlowSecurityGroup.key). */
  remoteGroup?: number;
}

/** A group and everything its rules and remote-group references need. */
export interface FlowSecurityGroup {
  /** Stable group key (DB sequence id, 1..2^29-1): cookie and conjunction ids. */
  key: number;
  rules: FlowSgRule[];
  /** Every member NIC in the pool (any host): remote-group rules naming this group match these addresses. */
  members: { networkId: number; ipv4: string }[];
}

/** The security part of one host's flow state; without it, ports are not filtered (legacy, other tests). */
export interface SecurityFlowState {
  groups: FlowSecurityGroup[];
  /** Groups of each local port; a local port absent here (or with []) accepts and opens no new connection. */
  portGroups: { portKey: number; groups: number[] }[];
  /** The host's `Open_vSwitch.ovs_version` (OVSDB); undefined = unknown, the oldest supported line is assumed. */
  ovsVersion?: string;
}
