import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateFlowText, generateFlows } from './flow-generator.js';
import { manyPorts, oneHostTwoPorts, portWithoutIp, red, twoTenantsSameCidr } from './flow-fixtures.js';
import { assertSnapshot, lineDiff } from './snapshot.js';
import type { HostFlowState } from './types.js';

function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

test('snapshot: one host, one network, two ports', () => {
  assertSnapshot('one-host-two-ports', generateFlowText(oneHostTwoPorts()));
});

test('snapshot: two tenants with the same CIDR on two hosts', () => {
  const { a, b } = twoTenantsSameCidr();
  assertSnapshot('two-tenants-host-a', generateFlowText(a));
  assertSnapshot('two-tenants-host-b', generateFlowText(b));
});

test('snapshot: a port with no IP sends nothing; an IPv6 port only from its MAC', () => {
  assertSnapshot('port-without-ip', generateFlowText(portWithoutIp()));
});

test('200 ports: flow count as designed and identical output for shuffled input', () => {
  const state = manyPorts(200);
  const flows = generateFlowText(state);
  // 6 base + 6 per port (3 L2/deliver/classify + 3 anti-spoof) + per network 1 mcast + 2 ARP flood
  // + per remote host 4 tunnel ingress + 4 remote MACs.
  assert.equal(flows.length, 6 + 200 * 6 + 4 * 3 + 3 * 8);
  const again = generateFlowText({
    ...state,
    networks: shuffled(state.networks, 7),
    ports: shuffled(state.ports, 11),
    remoteHosts: shuffled(state.remoteHosts, 13).map((h) => ({ ...h, ports: shuffled(h.ports, 17) })),
  });
  assert.deepEqual(again, flows);
  assert.equal(new Set(flows).size, flows.length);
});

test('inconsistent state is refused, never turned into flows', () => {
  const base = oneHostTwoPorts();
  const bad: [string, HostFlowState][] = [
    ['unknown network', { ...base, ports: [{ ...base.ports[0], networkId: 9 }] }],
    ['duplicate ofport', { ...base, ports: base.ports.map((p) => ({ ...p, ofport: 1 })) }],
    ['duplicate MAC', { ...base, ports: base.ports.map((p) => ({ ...p, mac: base.ports[0].mac })) }],
    ['duplicate IP', { ...base, ports: base.ports.map((p) => ({ ...p, ipv4: '10.0.0.2' })) }],
    ['IP outside CIDR', { ...base, ports: [{ ...base.ports[0], ipv4: '10.0.1.2' }] }],
    ['gateway as VIF IP', { ...base, ports: [{ ...base.ports[0], ipv4: red.gateway }] }],
    ['upper-case MAC', { ...base, ports: [{ ...base.ports[0], mac: '02:00:00:00:0A:01' }] }],
    ['duplicate VNI', { ...base, networks: [red, { ...red, id: 2 }] }],
    ['tunnel on a VIF ofport', { ...base, remoteHosts: [{ key: 1, tunnelOfport: 1, ports: [] }] }],
  ];
  for (const [what, state] of bad) assert.throws(() => generateFlows(state), RangeError, what);
});

test('the snapshot diff names added and removed lines', () => {
  assert.deepEqual(lineDiff(['a', 'b', 'c'], ['a', 'c', 'd']), ['- b', '+ d']);
});
