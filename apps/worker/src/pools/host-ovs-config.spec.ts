import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostOvsConfig } from './host-ovs-config.js';

test('a host publishing its OVS endpoints is managed; the tunnel defaults to its management address', () => {
  assert.deepEqual(hostOvsConfig({ 'xenplane-ovsdb': 'unix:/run/h1/db.sock', 'xenplane-openflow': 'tcp:10.0.0.5:6653' }, '10.0.0.5'), {
    ovsdbTarget: 'unix:/run/h1/db.sock',
    openflowTarget: 'tcp:10.0.0.5:6653',
    bridge: null,
    tunnelIp: '10.0.0.5',
  });
  assert.deepEqual(
    hostOvsConfig(
      {
        'xenplane-ovsdb': 'ssl:[fd00::5]:6640',
        'xenplane-openflow': 'unix:/b.mgmt',
        'xenplane-bridge': 'br-int',
        'xenplane-tunnel-ip': '172.31.0.2',
      },
      'h',
    ),
    {
      ovsdbTarget: 'ssl:[fd00::5]:6640',
      openflowTarget: 'unix:/b.mgmt',
      bridge: 'br-int',
      tunnelIp: '172.31.0.2',
    },
  );
});

test('missing or malformed values leave the host unmanaged instead of failing the pool sync', () => {
  assert.equal(hostOvsConfig({ 'xenplane-ovsdb': 'unix:/db.sock' }, '10.0.0.5').ovsdbTarget, null);
  assert.equal(hostOvsConfig({ 'xenplane-ovsdb': 'http://x', 'xenplane-openflow': 'unix:/b' }, '10.0.0.5').ovsdbTarget, null);
  const odd = hostOvsConfig({ 'xenplane-bridge': 'a bridge; rm -rf /', 'xenplane-tunnel-ip': '10.0.0.300' }, 'not-an-ip');
  assert.deepEqual(odd, { ovsdbTarget: null, openflowTarget: null, bridge: null, tunnelIp: null });
});
