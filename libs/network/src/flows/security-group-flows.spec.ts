import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateFlowText, generateFlows } from './flow-generator.js';
import { mac, oneHostTwoPorts, red } from './flow-fixtures.js';
import { OVS_FEATURE_SINCE, ovsSupports, parseOvsVersion } from './ovs-features.js';
import { portRangeMatches } from './port-range.js';
import { defaultGroup, webAndDefault } from './security-group-fixtures.js';
import { assertSnapshot } from './snapshot.js';
import type { FlowSecurityGroup } from './security-group.types.js';
import type { HostFlowState, LocalPort } from './types.js';

test('snapshot: a web group and a default group on one host', () => {
  assertSnapshot('security-groups', generateFlowText(webAndDefault('2.17.7')));
});

test('without security state the flows are exactly the issue-6 pipeline (no port is filtered)', () => {
  const plain = generateFlowText(oneHostTwoPorts());
  assert.ok(!plain.some((f) => /table=(2\d|4[1-9]),/.test(f)));
});

test('which OVS version each feature needs is pinned (XCP-ng 8.2 ships 2.5.3, 8.3 ships 2.17.7)', () => {
  assert.deepEqual(OVS_FEATURE_SINCE, { conjunction: '2.4.0', conntrack: '2.5.0', conntrackNat: '2.6.0', ctClear: '2.7.0' });
  assert.deepEqual(parseOvsVersion('2.17.7'), [2, 17, 7]);
  assert.deepEqual(parseOvsVersion('3.1.0'), [3, 1, 0]);
  assert.equal(parseOvsVersion(''), undefined);
  assert.equal(ovsSupports('2.5.3', 'conntrack'), true);
  assert.equal(ovsSupports('2.5.3', 'ctClear'), false);
  assert.equal(ovsSupports('2.4.1', 'conntrack'), false);
  assert.equal(ovsSupports('2.17.7', 'ctClear'), true);
  assert.equal(ovsSupports(undefined, 'conntrack'), true, 'unknown version: the oldest supported line (2.5.3)');
  assert.equal(ovsSupports(undefined, 'conntrackNat'), false);
});

test('the flows for 2.5.3 use only 2.5 actions, and are the same as for 2.17.7 and 3.1', () => {
  const old = generateFlowText(webAndDefault('2.5.3'));
  assert.ok(old.some((f) => f.includes('ct(commit')) && old.some((f) => f.includes('conjunction(')));
  for (const f of old) assert.doesNotMatch(f, /ct_clear|nat|ct_label|dpctl/, f);
  assert.deepEqual(generateFlowText(webAndDefault('2.17.7')), old);
  assert.deepEqual(generateFlowText(webAndDefault('3.1.0')), old);
});

test('a host without conntrack (OVS < 2.5) fails closed: filtered ports send and receive no IPv4', () => {
  const flows = generateFlows(webAndDefault('2.4.1'));
  assert.ok(!flows.some((f) => f.actions.includes('ct(') || f.actions.includes('conjunction(')));
  const egress = flows.filter((f) => f.table === 20);
  assert.deepEqual(
    egress.map((f) => f.actions),
    ['drop'],
  );
  assert.deepEqual(
    flows.filter((f) => f.table === 41).map((f) => f.actions),
    ['drop'],
  );
});

test('port ranges become exact value/mask blocks', () => {
  assert.deepEqual(portRangeMatches(80, 80), ['80']);
  assert.deepEqual(portRangeMatches(0, 65535), []);
  assert.deepEqual(portRangeMatches(8000, 8099), ['0x1f40/0xffc0', '0x1f80/0xffe0', '0x1fa0/0xfffc']);
  assert.deepEqual(portRangeMatches(1, 3), ['1', '0x0002/0xfffe']);
  // Exhaustive check of one awkward range: every port in, none out.
  const blocks = portRangeMatches(1000, 2047).map((b) => b.split('/').map((x) => Number(x)));
  for (let p = 990; p < 2060; p++) {
    const hit = blocks.some(([v, m = 0xffff]) => (p & m) === v);
    assert.equal(hit, p >= 1000 && p <= 2047, `port ${p}`);
  }
  assert.throws(() => portRangeMatches(90, 80), RangeError);
});

test('flows grow with members plus rules, not their product (conjunction)', () => {
  const count = (ports: number, members: number, rules: number) => {
    const locals: LocalPort[] = Array.from({ length: ports }, (_, i) => ({
      key: i + 1,
      ofport: i + 1,
      mac: mac(i + 1),
      ipv4: `10.0.${(i + 2) >> 8}.${(i + 2) & 255}`,
      networkId: 1,
    }));
    const g: FlowSecurityGroup = {
      key: 1,
      members: Array.from({ length: members }, (_, i) => ({ networkId: 1, ipv4: `10.0.${(i + 2) >> 8}.${(i + 2) & 255}` })),
      rules: Array.from({ length: rules }, (_, i) => ({
        key: i + 1,
        direction: 'ingress' as const,
        protocol: 'tcp' as const,
        portMin: 1000 + i,
        portMax: 1000 + i,
        remoteGroup: 1,
      })),
    };
    const state: HostFlowState = {
      bridge: 'br-int',
      networks: [{ ...red, cidr: '10.0.0.0/16' }],
      ports: locals,
      remoteHosts: [],
      security: { groups: [g], portGroups: locals.map((p) => ({ portKey: p.key, groups: [1] })) },
    };
    return generateFlows(state).length;
  };
  const base = count(10, 10, 10);
  // Doubling members adds a constant per member; doubling rules adds a constant per rule (never members × rules).
  assert.equal(count(10, 20, 10) - base, 10);
  assert.equal(count(10, 10, 20) - base, 10 * 3);
  assert.equal(count(10, 40, 40) - base, 30 + 30 * 3);
});

test('the default group admits its own members only, and every egress', () => {
  const s = oneHostTwoPorts();
  const state: HostFlowState = {
    ...s,
    security: {
      groups: [
        defaultGroup(7, 70, [
          { networkId: 1, ipv4: '10.0.0.2' },
          { networkId: 1, ipv4: '10.0.0.3' },
        ]),
      ],
      portGroups: [
        { portKey: 1, groups: [7] },
        { portKey: 2, groups: [7] },
      ],
    },
  };
  const text = generateFlowText(state);
  assert.ok(text.some((f) => f.includes('table=42') && f.includes('ip,reg6=1,nw_src=10.0.0.2')));
  assert.ok(text.some((f) => f.includes('table=42') && f.includes('ip,reg6=1,nw_src=10.0.0.3')));
  assert.ok(!text.some((f) => f.includes('table=42') && /,ip actions=conjunction\(\d+,2\/2\)/.test(f)), 'no "any source" ingress');
  assert.ok(
    text.some((f) => f.includes('table=21') && /cookie=0x[0-9a-f]+,ip actions=conjunction/.test(f)),
    'egress to anywhere',
  );
});

test('bad security input never becomes flows', () => {
  const bad = (mutate: (g: FlowSecurityGroup) => void) => {
    const s = webAndDefault();
    mutate(s.security!.groups[0]);
    return () => generateFlows(s);
  };
  assert.throws(
    bad((g) => (g.rules[0].portMin = 90)),
    RangeError,
  );
  assert.throws(
    bad((g) => (g.rules[0].remoteCidr = '10.0.0.1/24')),
    RangeError,
  );
  assert.throws(
    bad((g) => g.rules.push({ key: 1, direction: 'egress', protocol: 'any', remoteCidr: '0.0.0.0/0' })),
    RangeError,
  );
  assert.throws(
    bad((g) => g.rules.push({ key: 99, direction: 'egress', protocol: 'icmp', portMin: 1, remoteCidr: '0.0.0.0/0' })),
    RangeError,
  );
  assert.throws(
    bad((g) => g.rules.push({ key: 98, direction: 'egress', protocol: 'tcp', remoteCidr: '0.0.0.0/0', remoteGroup: 2 })),
    RangeError,
  );
});
