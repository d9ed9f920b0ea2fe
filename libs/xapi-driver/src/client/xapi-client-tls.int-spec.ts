import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { selfSignedCertificate, startTlsFront, type SelfSigned, type TlsFront } from '@xenplane/testing';
import { XapiTransportError } from '../errors/xapi-error.js';
import { simClient, startSim, type SimProcess } from '../testing/sim-control.js';
import type { XapiClient } from './xapi-client.js';
import type { XapiClientOptions } from './xapi-client.options.js';

// The simulator behind a real HTTPS listener with a self-signed certificate, as an XCP-ng master is out of the box.
describe('XapiClient TLS trust per client (no process-wide NODE_EXTRA_CA_CERTS)', () => {
  let sim: SimProcess;
  let cert: SelfSigned;
  let other: SelfSigned;
  let front: TlsFront;
  const clients: XapiClient[] = [];
  const client = (opts: Partial<XapiClientOptions>) => {
    const c = simClient(sim, { url: front.url, callTimeoutMs: 5000, ...opts });
    clients.push(c);
    return c;
  };
  const refused = async (c: XapiClient, code: RegExp) => {
    // Trusted clients still talking (background host learning, logout) would blur the count.
    await Promise.all(clients.filter((o) => o !== c).map((o) => o.close()));
    const before = front.bytesReceived();
    const err = await c.call('pool.get_all').then(
      () => assert.fail('trusted a certificate it should not'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof XapiTransportError, String(err));
    assert.equal(err.kind, 'tls');
    assert.equal(err.retryable, false);
    assert.match(err.message, code);
    assert.equal(front.bytesReceived(), before, 'not one byte (the login and its password) reached the untrusted server');
  };

  before(async () => {
    sim = await startSim({ SIM_HOSTS: '1' });
    [cert, other] = [selfSignedCertificate('pool-master'), selfSignedCertificate('someone-else')];
    front = await startTlsFront(sim.url, cert);
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await front?.close();
    await sim?.stop();
  });

  it('without a pin a self-signed certificate is refused', async () => {
    await refused(client({}), /TLS: DEPTH_ZERO_SELF_SIGNED_CERT/);
  });

  it('the pinned fingerprint (either spelling) is trusted; another one is refused, naming both', async () => {
    assert.ok((await client({ tls: { fingerprint256: cert.fingerprint256 } }).call<string[]>('pool.get_all')).length === 1);
    const bare = cert.fingerprint256.replace(/:/g, '').toLowerCase();
    assert.ok((await client({ tls: { fingerprint256: bare } }).call<string[]>('pool.get_all')).length === 1);
    await refused(
      client({ tls: { fingerprint256: other.fingerprint256 } }),
      new RegExp(`ERR_TLS_FINGERPRINT_MISMATCH .*${cert.fingerprint256}.* not the pinned ${other.fingerprint256}`),
    );
  });

  it('a CA is trusted for what it signed (here the certificate itself) and nothing else', async () => {
    assert.ok((await client({ tls: { ca: cert.certPem } }).call<string[]>('pool.get_all')).length === 1);
    await refused(client({ tls: { ca: other.certPem } }), /TLS: DEPTH_ZERO_SELF_SIGNED_CERT|TLS: UNABLE_TO_VERIFY/);
  });

  it('keep-alive reuse keeps working after the check, for many calls at once', async () => {
    const c = client({ tls: { fingerprint256: cert.fingerprint256 } });
    const results = await Promise.all(Array.from({ length: 30 }, () => c.call<string[]>('host.get_all')));
    assert.ok(results.every((r) => r.length === 1));
  });
});
