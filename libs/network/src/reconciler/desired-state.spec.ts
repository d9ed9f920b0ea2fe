import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VifInterface } from '../ovsdb/vswitch.queries.js';
import type { PoolDataplaneView } from './dataplane.types.js';
import { desiredHostState } from './desired-state.js';
import { securityFlowState } from './security-state.js';

const red = { key: 1, vni: 5001, cidr: '10.0.0.0/24', xapiUuid: 'net-red' };
const blue = { key: 2, vni: 5002, cidr: '10.0.0.0/24', xapiUuid: 'net-blue' };
const self = { id: 'h1', key: 1, tunnelIp: '172.31.0.1' };
const view = (): PoolDataplaneView => ({
  hosts: [self, { id: 'h2', key: 2, tunnelIp: '172.31.0.2' }, { id: 'h3', key: 3, tunnelIp: '172.31.0.3' }],
  nics: [
    { vmId: 'a', device: 0, portKey: 11, mac: '02:00:00:00:0a:01', ip: '10.0.0.2', vmXapiUuid: 'xa', network: red },
    { vmId: 'b', device: 0, portKey: 12, mac: '02:00:00:00:0a:02', ip: '10.0.0.3', vmXapiUuid: 'xb', network: red },
    { vmId: 'c', device: 0, portKey: 21, mac: '02:00:00:00:0b:01', ip: '10.0.0.2', vmXapiUuid: 'xc', network: blue },
  ],
  bindings: [
    { vmId: 'b', device: 0, hostId: 'h2', iface: 'vif4.0', ofport: 3 },
    { vmId: 'c', device: 0, hostId: 'h3', iface: 'vif9.0', ofport: 2 },
  ],
});
const vif = (name: string, vm: string, mac: string, net: string, ofport: number | undefined): VifInterface => ({
  uuid: name,
  name,
  ofport,
  vifUuid: `vif-${name}`,
  attachedMac: mac,
  vmUuid: vm,
  networkUuid: net,
  externalIds: {},
});

test('a local VIF gets a port; remote ports only in its networks, through the host that reported them', () => {
  const d = desiredHostState(
    self,
    'br-int',
    view(),
    [vif('vif1.0', 'xa', '02:00:00:00:0A:01', 'net-red', 5)],
    new Map([
      ['h2', 100],
      ['h3', 101],
    ]),
  );
  assert.deepEqual(d.state.ports, [{ key: 11, ofport: 5, mac: '02:00:00:00:0a:01', ipv4: '10.0.0.2', networkId: 1 }]);
  assert.deepEqual(d.state.networks, [{ id: 1, vni: 5001, cidr: '10.0.0.0/24', gateway: '10.0.0.1' }]);
  // blue's VM on h3 is another tenant's: no tunnel flows towards it from here
  assert.deepEqual(d.state.remoteHosts, [{ key: 2, tunnelOfport: 100, ports: [{ mac: '02:00:00:00:0a:02', networkId: 1 }] }]);
  assert.deepEqual(d.bindings, [{ vmId: 'a', device: 0, hostId: 'h1', iface: 'vif1.0', ofport: 5 }]);
  assert.equal(d.complete, true);
});

test('VIFs that are not ours, claim another network, or have no ofport yet get no flows', () => {
  const d = desiredHostState(
    self,
    'br-int',
    view(),
    [
      vif('vif1.0', 'xa', '02:00:00:00:0a:01', 'net-blue', 5), // right VM and MAC, wrong XAPI network
      vif('vif2.0', 'someone-else', '02:00:00:00:0a:02', 'net-red', 6),
      vif('vif3.0', 'xb', '02:00:00:00:0a:02', 'net-red', undefined),
    ],
    new Map(),
  );
  assert.deepEqual(d.state.ports, []);
  assert.deepEqual(d.pending, ['vif3.0']);
  assert.deepEqual(d.bindings, []);
});

test('an HVM guest with tap and vif for one NIC is programmed once, on the PV device', () => {
  const d = desiredHostState(
    self,
    'br-int',
    view(),
    [vif('tap1.0', 'xa', '02:00:00:00:0a:01', 'net-red', 4), vif('vif1.0', 'xa', '02:00:00:00:0a:01', 'net-red', 5)],
    new Map([['h2', 100]]),
  );
  assert.deepEqual(
    d.state.ports.map((p) => p.ofport),
    [5],
  );
});

test('a tunnel without its ofport yet makes the view partial, so the applier deletes nothing', () => {
  const d = desiredHostState(self, 'br-int', view(), [vif('vif1.0', 'xa', '02:00:00:00:0a:01', 'net-red', 5)], new Map([['h2', undefined]]));
  assert.equal(d.complete, false);
  assert.deepEqual(d.state.remoteHosts, []);
});

test('a NIC moving between hosts is reached at the host that reported it last (bindings come newest first)', () => {
  const v = view();
  v.bindings.unshift({ vmId: 'b', device: 0, hostId: 'h3', iface: 'vif7.0', ofport: 8 });
  const d = desiredHostState(
    self,
    'br-int',
    v,
    [vif('vif1.0', 'xa', '02:00:00:00:0a:01', 'net-red', 5)],
    new Map([
      ['h2', 100],
      ['h3', 101],
    ]),
  );
  assert.deepEqual(
    d.state.remoteHosts.map((h) => h.key),
    [3],
  );
});

test('security: local ports get their groups; members come from every NIC in the pool, bound here or not', () => {
  const network = { key: 1, vni: 5001, cidr: '10.0.0.0/24', xapiUuid: 'n1' };
  const nic = (i: number) => ({
    vmId: `vm${i}`,
    device: 0,
    portKey: i,
    mac: `02:00:00:00:00:0${i}`,
    ip: `10.0.0.${i + 1}`,
    vmXapiUuid: `x${i}`,
    network,
  });
  const nics = [nic(1), nic(2), nic(3)];
  const sec = securityFlowState(
    {
      groups: [
        { key: 7, rules: [{ key: 70, direction: 'ingress', protocol: 'tcp', portMin: 80, portMax: null, remoteCidr: null, remoteGroupKey: 8 }] },
        {
          key: 8,
          rules: [{ key: 80, direction: 'egress', protocol: 'any', portMin: null, portMax: null, remoteCidr: '0.0.0.0/0', remoteGroupKey: null }],
        },
      ],
      memberships: [
        { vmId: 'vm1', device: 0, groupKey: 7 },
        { vmId: 'vm2', device: 0, groupKey: 8 },
        { vmId: 'vm3', device: 0, groupKey: 8 },
      ],
    },
    nics,
    [nics[0], nics[2]],
    '2.17.7',
  );
  assert.deepEqual(sec.portGroups, [
    { portKey: 1, groups: [7] },
    { portKey: 3, groups: [8] },
  ]);
  assert.deepEqual(sec.groups[1].members, [
    { networkId: 1, ipv4: '10.0.0.3' },
    { networkId: 1, ipv4: '10.0.0.4' },
  ]);
  assert.deepEqual(sec.groups[0].rules, [{ key: 70, direction: 'ingress', protocol: 'tcp', portMin: 80, portMax: 80, remoteGroup: 8 }]);
  assert.deepEqual(sec.groups[1].rules, [{ key: 80, direction: 'egress', protocol: 'any', remoteCidr: '0.0.0.0/0' }]);
  assert.equal(sec.ovsVersion, '2.17.7');
});
