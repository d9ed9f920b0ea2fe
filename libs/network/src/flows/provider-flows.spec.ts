import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateFlowText, generateFlows } from './flow-generator.js';
import { mac, red } from './flow-fixtures.js';
import { gatewayMac } from './gateway-flows.js';
import { assertSnapshot } from './snapshot.js';
import type { FlowNetwork, HostFlowState } from './types.js';

// A tagged provider network (VLAN 120 on patch ofport 90) and an untagged one (patch 91), beside tenant network red.
const publicV: FlowNetwork = { id: 0x8001, vni: 0, cidr: '203.0.113.0/24', gateway: '203.0.113.1', provider: { patchOfport: 90, vlanTag: 120 } };
const publicU: FlowNetwork = { id: 0x8002, vni: 0, cidr: '198.51.100.0/24', gateway: '198.51.100.1', provider: { patchOfport: 91, vlanTag: null } };

function state(): HostFlowState {
  return {
    bridge: 'br-int',
    networks: [red, publicV, publicU],
    ports: [
      { key: 1, ofport: 1, mac: mac(0x0a01), ipv4: '10.0.0.2', networkId: red.id },
      { key: 2, ofport: 2, mac: mac(0x0c01), ipv4: '203.0.113.10', networkId: publicV.id },
      { key: 3, ofport: 3, mac: mac(0x0d01), ipv4: '198.51.100.10', networkId: publicU.id },
    ],
    remoteHosts: [],
    gateways: [{ networkId: red.id, ip: red.gateway, mac: gatewayMac(red.id) }],
  };
}

test('snapshot: provider networks (tagged and untagged) beside a tenant network with its gateway responder', () => {
  assertSnapshot('provider-networks', generateFlowText(state()));
});

test('a provider network: uplink ingress classified by tag, unknown unicast and ARP out the patch, never a tunnel', () => {
  const flows = generateFlows(state());
  const of = (net: number) => flows.filter((f) => f.match.includes(`reg6=${net}`) || f.actions.includes(`${net}->reg6`));
  const v = of(publicV.id);
  assert.ok(v.some((f) => f.table === 0 && f.match === 'in_port=90,dl_vlan=120' && f.actions.startsWith('pop_vlan,')));
  assert.ok(v.some((f) => f.table === 30 && f.match === `reg4=0,reg6=${publicV.id}` && f.actions.endsWith('set_field:4216->vlan_vid,output:90')));
  const u = of(publicU.id);
  assert.ok(u.some((f) => f.table === 0 && f.match === 'in_port=91,vlan_tci=0x0000/0x1fff'));
  assert.ok(u.some((f) => f.table === 35 && f.match === `arp,reg4=0,reg6=${publicU.id}` && f.actions === 'output:3,output:91'));
  assert.ok(!flows.some((f) => f.actions.includes('tun_id')), 'no VXLAN for anything here');
  // Anti-spoofing as for any VIF: only its own MAC and provider address pass port security.
  assert.ok(flows.some((f) => f.table === 10 && f.match === `ip,reg5=2,dl_src=${mac(0x0c01)},nw_src=203.0.113.10`));
  // The tenant network never reaches the uplink.
  assert.ok(!of(red.id).some((f) => /output:9[01]/.test(f.actions)));
});

test("the gateway answers only its own network's local VIFs, with a MAC of its own; no responder on a provider network", () => {
  const flows = generateFlows(state());
  const arp = flows.filter((f) => f.match.includes('arp_op=1'));
  assert.deepEqual(
    arp.map((f) => f.match),
    ['arp,reg4=0,reg6=1,arp_op=1,arp_tpa=10.0.0.1'],
  );
  assert.equal(gatewayMac(1), '0a:5a:00:00:00:01');
  assert.ok(arp[0].actions.endsWith('IN_PORT'));
  assert.throws(() => generateFlows({ ...state(), networks: [red, { ...publicV, provider: { patchOfport: 90, vlanTag: 4095 } }, publicU] }), /VLAN/);
});
