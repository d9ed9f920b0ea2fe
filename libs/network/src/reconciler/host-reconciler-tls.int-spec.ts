// A host whose OVSDB and OpenFlow are only reachable over TLS (ssl:), as on a real hypervisor.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { dumpOwnFlows } from '../flows/flow-applier.js';
import { ovsUnavailable, startOvsSandbox, type OvsSandbox } from '../testing/ovs-sandbox.js';
import { createTestPki, hasOpenssl, type TestPki } from '../testing/tls-pki.fixture.js';
import { HostReconciler } from './host-reconciler.js';

const missing = (await ovsUnavailable()) ?? (hasOpenssl() ? undefined : 'openssl CLI missing');
if (missing && process.env.CI === 'true') throw new Error(`CI=true but the OVS TLS test cannot run: ${missing}`);

describe('host reconciler over ssl: OVSDB and OpenFlow', { skip: missing }, () => {
  let dir: string;
  let pki: TestPki;
  let ovs: OvsSandbox;
  let rec: HostReconciler | undefined;
  const port = `xs${randomBytes(3).toString('hex')}`;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xp-ovs-pki-'));
    pki = createTestPki(dir);
    ovs = await startOvsSandbox({ ssl: { privateKey: pki.serverKey, certificate: pki.serverCert, caCert: pki.caCert } });
    await ovs.vsctl(
      'add-port',
      ovs.bridge,
      port,
      '--',
      'set',
      'Interface',
      port,
      'type=internal',
      'external_ids:xs-vif-uuid=v',
      'external_ids:xs-network-uuid=n',
      'external_ids:xs-vm-uuid=x',
      'external_ids:attached-mac=02:00:00:00:00:01',
    );
  });
  after(async () => {
    await rec?.stop();
    await ovs?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('programs the bridge through TLS with the configured client certificate', async () => {
    const net = { key: 3, vni: 4100, cidr: '10.1.0.0/24', xapiUuid: 'n' };
    rec = new HostReconciler({
      host: { id: 'h', key: 1, tunnelIp: null, ovsdb: ovs.sslDb!, openflow: ovs.sslOpenflow!, bridge: ovs.bridge },
      loadView: async () => ({
        hosts: [{ id: 'h', key: 1, tunnelIp: null }],
        bindings: [],
        nics: [{ vmId: 'vm', device: 0, portKey: 5, mac: '02:00:00:00:00:01', ip: '10.1.0.2', vmXapiUuid: 'x', network: net }],
      }),
      publishBindings: async () => undefined,
      log: { info: () => undefined, warn: () => undefined },
      canaryIntervalMs: 60_000,
      sweepIntervalMs: 60_000,
      ssl: { privateKey: pki.clientKey, certificate: pki.clientCert, caCert: pki.caCert },
    });
    await rec.start();
    await rec.idle();
    assert.equal(rec.lastPass?.result, 'changed');
    assert.ok((await dumpOwnFlows({ target: ovs.target })).some((f) => f.includes('dl_dst=02:00:00:00:00:01')));
  });

  test('an ssl: endpoint without TLS files is refused with a message naming the settings', async () => {
    const { ovsdbEndpoint } = await import('./host-reconciler.js');
    assert.throws(() => ovsdbEndpoint(ovs.sslDb!, undefined), /OVS_SSL_KEY, OVS_SSL_CERT, OVS_SSL_CA/);
  });
});
