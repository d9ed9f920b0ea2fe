import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CANARY_COOKIE, CANARY_TABLE, isOwnCookie } from './cookie.js';
import { FlowTable, generateFlows } from './flow-generator.js';
import { flowText, outputPorts, parseMatch } from './flow-text.js';
import { manyPorts, oneHostTwoPorts, portWithoutIp, twoTenantsSameCidr } from './flow-fixtures.js';
import type { Flow, HostFlowState } from './types.js';

const { a, b } = twoTenantsSameCidr();
const states: [string, HostFlowState][] = [
  ['one host', oneHostTwoPorts()],
  ['tenants host A', a],
  ['tenants host B', b],
  ['no IP', portWithoutIp()],
  ['200 ports', manyPorts(200)],
];

/** Value a `set_field:V->FIELD` action loads, or undefined. */
function loaded(actions: string, field: string): number | undefined {
  const m = new RegExp(`set_field:(\\d+)->${field}(?:,|$)`).exec(actions);
  return m ? Number(m[1]) : undefined;
}

/** Checks, flow by flow, that nothing moves a packet from one network into another. */
function assertIsolated(state: HostFlowState, flows: Flow[]): void {
  const netOfPort = new Map(state.ports.map((p) => [p.key, p.networkId]));
  const netOfOfport = new Map(state.ports.map((p) => [p.ofport, p.networkId]));
  const netOfVni = new Map(state.networks.map((n) => [n.vni, n.id]));
  const vniOfNet = new Map(state.networks.map((n) => [n.id, n.vni]));
  const tunnels = new Set(state.remoteHosts.map((h) => h.tunnelOfport));
  for (const f of flows) {
    const m = parseMatch(f.match);
    const text = flowText(f);
    const reg6 = loaded(f.actions, 'reg6');
    if (f.table === FlowTable.Classify && reg6 !== undefined) {
      const inPort = Number(m.get('in_port'));
      // A VIF is classified into its own network; a tunnel by its VNI.
      const expected = tunnels.has(inPort) ? netOfVni.get(Number(m.get('tun_id'))) : netOfOfport.get(inPort);
      assert.equal(reg6, expected, text);
      if (!tunnels.has(inPort)) assert.equal(loaded(f.actions, 'reg5'), state.ports.find((p) => p.ofport === inPort)!.key, text);
    }
    if (f.table >= FlowTable.L2 && f.actions !== 'drop' && !f.actions.startsWith('goto_table')) {
      // Every forwarding decision after classification is scoped by a network or destination register.
      assert.ok(m.has('reg6') || m.has('reg7'), `unscoped forwarding: ${text}`);
    }
    const net = m.has('reg6') ? Number(m.get('reg6')) : undefined;
    const reg7 = loaded(f.actions, 'reg7');
    if (reg7 !== undefined) assert.equal(netOfPort.get(reg7), net, `reg7 crosses networks: ${text}`);
    const tun = loaded(f.actions, 'tun_id');
    if (tun !== undefined) assert.equal(tun, vniOfNet.get(net!), `wrong VNI: ${text}`);
    for (const out of outputPorts(f.actions)) {
      if (tunnels.has(out)) assert.ok(tun !== undefined && m.get('reg4') === '0', `tunnel output without VNI or from a tunnel: ${text}`);
      else if (f.table === FlowTable.Deliver) assert.equal(state.ports.find((p) => p.ofport === out)?.key, Number(m.get('reg7')), text);
      else assert.equal(netOfOfport.get(out), net, `output crosses networks: ${text}`);
    }
  }
}

test('every flow carries our cookie prefix', () => {
  for (const [name, state] of states) {
    for (const f of generateFlows(state)) assert.ok(isOwnCookie(f.cookie), `${name}: ${flowText(f)}`);
  }
});

test('no flow forwards between ports of different networks, even with the same CIDR', () => {
  for (const [, state] of states) assertIsolated(state, generateFlows(state));
});

test('the isolation check itself catches a leaking flow', () => {
  const state = a;
  const leak: Flow = { ...generateFlows(state).find((f) => f.table === FlowTable.Flood && f.actions.startsWith('output'))! };
  leak.actions = 'output:1,output:2';
  assert.throws(() => assertIsolated(state, [leak]), /crosses networks/);
});

test('anti-spoofing: every port may send only from its own MAC, IP and ARP identity', () => {
  for (const [name, state] of states) {
    const flows = generateFlows(state);
    const security = flows.filter((f) => f.table === FlowTable.PortSecurity);
    assert.ok(
      security.some((f) => f.priority === 0 && f.match === '' && f.actions === 'drop'),
      `${name}: default drop`,
    );
    for (const p of state.ports) {
      const mine = security.filter((f) => parseMatch(f.match).get('reg5') === String(p.key));
      for (const f of mine.filter((x) => x.actions !== 'drop')) assert.equal(parseMatch(f.match).get('dl_src'), p.mac, flowText(f));
      const ip = mine.find((f) => f.match.startsWith('ip,'));
      const arp = mine.find((f) => f.match.startsWith('arp,'));
      if (p.ipv4 === undefined) {
        assert.equal(ip, undefined);
        assert.equal(arp, undefined);
        continue;
      }
      assert.equal(parseMatch(ip!.match).get('nw_src'), p.ipv4);
      const am = parseMatch(arp!.match);
      assert.deepEqual([am.get('arp_sha'), am.get('arp_spa')], [p.mac, p.ipv4]);
      const dhcp = mine.find((f) => f.match === `udp,reg5=${p.key},tp_src=67`);
      assert.ok(dhcp && dhcp.actions === 'drop' && dhcp.priority > ip!.priority, `${name}: rogue DHCP drop for ${p.key}`);
      const v6 = mine.some((f) => f.match.startsWith('ipv6,'));
      assert.equal(v6, Boolean(p.allowIpv6), `${name}: IPv6 only when allowed`);
    }
  }
});

test('flooding is ARP/ND only, split-horizon, and never IP broadcast', () => {
  for (const [, state] of states) {
    for (const f of generateFlows(state).filter((x) => x.table === FlowTable.Flood && x.priority > 0)) {
      assert.match(f.match, /^(arp|icmp6,icmp_type=13[56]),reg4=[01],reg6=\d+$/);
      if (f.match.includes('reg4=1')) assert.ok(!f.actions.includes('tun_id'), flowText(f));
    }
  }
});

test('the canary is present, alone in its table and recognisable', () => {
  for (const [, state] of states) {
    const canary = generateFlows(state).filter((f) => f.table === CANARY_TABLE);
    assert.deepEqual(canary, [{ table: CANARY_TABLE, priority: 0, cookie: CANARY_COOKIE, match: '', actions: 'drop' }]);
  }
});
