import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ovsdbSkipReason, startOvsdbServer, type OvsdbServerFixture } from '../testing/ovsdb-server.fixture.js';
import { createTestPki, hasOpenssl, type TestPki } from '../testing/tls-pki.fixture.js';
import { OvsdbClient } from './ovsdb.client.js';
import { parseEndpoint } from './ovsdb-transport.factory.js';

const skip = ovsdbSkipReason() ?? (hasOpenssl() ? undefined : 'TLS test needs the openssl CLI');

describe('OvsdbClient over TLS (pssl:) against a real ovsdb-server', { skip }, () => {
  let dir: string;
  let pki: TestPki;
  let srv: OvsdbServerFixture;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xp-ovsdb-pki-'));
    pki = createTestPki(dir);
    srv = await startOvsdbServer({ ssl: { privateKey: pki.serverKey, certificate: pki.serverCert, caCert: pki.caCert } });
  });
  after(async () => {
    await srv?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('mutual TLS with ca/cert/key: list_dbs and echo', async () => {
    const c = new OvsdbClient({
      endpoint: parseEndpoint(`ssl:127.0.0.1:${srv.sslPort}`, {
        ca: readFileSync(pki.caCert),
        cert: readFileSync(pki.clientCert),
        key: readFileSync(pki.clientKey),
      }),
      reconnect: false,
    });
    await c.connect();
    try {
      assert.ok((await c.listDbs()).includes('Open_vSwitch'));
      assert.deepEqual(await c.echo('tls'), ['tls']);
    } finally {
      await c.close();
    }
  });

  test('a server certificate from an unknown CA is refused', async () => {
    const other = createTestPki(mkdtempSync(join(dir, 'other-')));
    const c = new OvsdbClient({
      endpoint: {
        kind: 'ssl',
        host: '127.0.0.1',
        port: srv.sslPort!,
        ca: readFileSync(other.caCert),
        cert: readFileSync(pki.clientCert),
        key: readFileSync(pki.clientKey),
      },
      reconnect: false,
    });
    await assert.rejects(c.connect(), /self[- ]signed|unable to verify|certificate/i);
    await c.close();
  });
});
