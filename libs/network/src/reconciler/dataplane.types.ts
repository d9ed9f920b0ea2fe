/** What a host reconciler reads from the control plane's database (DB-agnostic shapes, filled by the worker). */

/** A host whose Open vSwitch we program. */
export interface DataplaneHost {
  id: string;
  /** Small stable integer (tunnel cookie, tunnel port name). */
  key: number;
  /** Underlay address other hosts' VXLAN ports point at; null = not reachable by tunnel. */
  tunnelIp: string | null;
}

/** A tenant network as the data plane needs it. */
export interface DataplaneNetwork {
  key: number;
  vni: number;
  cidr: string;
  /** XAPI network uuid the VIFs carry in `xs-network-uuid`; null until the network exists in XAPI. */
  xapiUuid: string | null;
  /** Issue 16: set for a provider network (reached through each host's uplink, never tunnelled). */
  provider?: DataplaneUplink;
}

/** Where a provider network leaves each host: its uplink bridge, the edge VLAN tag, and its (external) gateway. */
export interface DataplaneUplink {
  bridge: string;
  vlanTag: number | null;
  gateway: string;
}

/** A VM NIC the control plane handed out (desired identity: MAC and IP on one network). */
export interface DataplaneNic {
  vmId: string;
  device: number;
  /** Small stable integer: reg5/reg7 and the port cookie. */
  portKey: number;
  mac: string;
  ip: string;
  /** The VM's XAPI uuid (VIFs carry it in `xs-vm-uuid`); null before the clone exists. */
  vmXapiUuid: string | null;
  network: DataplaneNetwork;
}

/** A NIC seen plugged on a host's bridge (observed by that host's reconciler). */
export interface NicBinding {
  vmId: string;
  device: number;
  hostId: string;
  iface: string;
  ofport: number;
}

/** A security-group rule as the data plane needs it (keys, not ids). */
export interface DataplaneSgRule {
  key: number;
  direction: 'ingress' | 'egress';
  protocol: 'tcp' | 'udp' | 'icmp' | 'any';
  portMin: number | null;
  portMax: number | null;
  remoteCidr: string | null;
  remoteGroupKey: number | null;
}

/** The security groups of the tenants with NICs in the pool, and which NIC is in which. */
export interface DataplaneSecurity {
  groups: { key: number; rules: DataplaneSgRule[] }[];
  /** One row per NIC and group (a NIC without rows is in no group: nothing new in or out). */
  memberships: { vmId: string; device: number; groupKey: number }[];
}

/** Everything about one pool that a host's flows depend on. */
export interface PoolDataplaneView {
  hosts: DataplaneHost[];
  nics: DataplaneNic[];
  bindings: NicBinding[];
  /** Issue 16: the pool's active provider networks' uplink bridges, patched to every host's integration bridge. */
  uplinks?: string[];
  /** Security groups (issue 16); absent: NICs are not filtered beyond anti-spoofing. */
  security?: DataplaneSecurity;
}
