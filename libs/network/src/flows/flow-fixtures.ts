// Test fixtures for the flow generator (hosts, tenants, ports); not part of the public API.
import type { FlowNetwork, HostFlowState, LocalPort, RemoteHost } from './types.js';

export const red: FlowNetwork = { id: 1, vni: 5001, cidr: '10.0.0.0/24', gateway: '10.0.0.1' };
// Blue belongs to another tenant and deliberately reuses red's CIDR.
export const blue: FlowNetwork = { id: 2, vni: 5002, cidr: '10.0.0.0/24', gateway: '10.0.0.1' };

export function mac(n: number): string {
  return `02:00:00:00:${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`;
}

/** One host, one network, two ports. */
export function oneHostTwoPorts(): HostFlowState {
  return {
    bridge: 'br-int',
    networks: [red],
    ports: [
      { key: 1, ofport: 1, mac: mac(0x0a01), ipv4: '10.0.0.2', networkId: 1 },
      { key: 2, ofport: 2, mac: mac(0x0a02), ipv4: '10.0.0.3', networkId: 1 },
    ],
    remoteHosts: [],
  };
}

// Red and blue both use 10.0.0.2 on host A and 10.0.0.3 on host B; tunnel ofport 100 on both sides.
const hostA: LocalPort[] = [
  { key: 11, ofport: 1, mac: mac(0x0a01), ipv4: '10.0.0.2', networkId: 1 },
  { key: 21, ofport: 2, mac: mac(0x0b01), ipv4: '10.0.0.2', networkId: 2 },
];
const hostB: LocalPort[] = [
  { key: 12, ofport: 1, mac: mac(0x0a02), ipv4: '10.0.0.3', networkId: 1 },
  { key: 22, ofport: 2, mac: mac(0x0b02), ipv4: '10.0.0.3', networkId: 2 },
];

function remote(key: number, ports: LocalPort[]): RemoteHost {
  return { key, tunnelOfport: 100, ports: ports.map((p) => ({ mac: p.mac, networkId: p.networkId })) };
}

/** Two tenants with the same CIDR spread over hosts A (key 1) and B (key 2). */
export function twoTenantsSameCidr(): { a: HostFlowState; b: HostFlowState } {
  return {
    a: { bridge: 'br-int', networks: [red, blue], ports: hostA, remoteHosts: [remote(2, hostB)] },
    b: { bridge: 'br-int', networks: [red, blue], ports: hostB, remoteHosts: [remote(1, hostA)] },
  };
}

/** A port with no IPv4 (may send nothing) next to a normal one, plus an IPv6-enabled port. */
export function portWithoutIp(): HostFlowState {
  return {
    bridge: 'br-int',
    networks: [red],
    ports: [
      { key: 1, ofport: 1, mac: mac(0x0a01), networkId: 1 },
      { key: 2, ofport: 2, mac: mac(0x0a02), ipv4: '10.0.0.3', networkId: 1 },
      { key: 3, ofport: 3, mac: mac(0x0a03), networkId: 1, allowIpv6: true },
    ],
    remoteHosts: [],
  };
}

/** `count` ports over four networks (two pairs of tenants sharing CIDRs) and three remote hosts. */
export function manyPorts(count: number): HostFlowState {
  const networks: FlowNetwork[] = [1, 2, 3, 4].map((id) => ({ id, vni: 5000 + id, cidr: '10.0.0.0/22', gateway: '10.0.0.1' }));
  const ports: LocalPort[] = [];
  for (let i = 0; i < count; i++) {
    const networkId = (i % 4) + 1;
    const host = Math.floor(i / 4) + 2;
    ports.push({ key: 1000 + i, ofport: i + 1, mac: mac(0x1000 + i), ipv4: `10.0.${host >> 8}.${host & 255}`, networkId });
  }
  const remoteHosts: RemoteHost[] = [1, 2, 3].map((h) => ({
    key: h,
    tunnelOfport: 60000 + h,
    ports: [1, 2, 3, 4].map((networkId) => ({ mac: mac(0x8000 + h * 16 + networkId), networkId })),
  }));
  return { bridge: 'br-int', networks, ports, remoteHosts };
}
