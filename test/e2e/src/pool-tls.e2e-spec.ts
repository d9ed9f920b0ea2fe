import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import {
  eventually,
  type SelfSigned,
  selfSignedCertificate,
  type SimProcess,
  startSimProcess,
  startTlsFront,
  type TlsFront,
} from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

// A second pool whose master speaks HTTPS with a self-signed certificate (XCP-ng's default), in front of a simulator.
let stack: Stack;
let sim: SimProcess;
let cert: SelfSigned;
let front: TlsFront;
before(async () => {
  [stack, sim] = await Promise.all([startStack(), startSimProcess({ SIM_HOSTS: '2' })]);
  cert = selfSignedCertificate('xcp-master');
  front = await startTlsFront(sim.url, cert);
});
after(async () => {
  await stack?.stop();
  await front?.close();
  await sim?.stop();
});

const settled = (id: string) =>
  eventually(`pool ${id} settled`, async () => {
    const r = (await client(stack.api.url, OPERATOR_TOKEN)('GET', `/v1/pools/${id}`)).body;
    return r.status === 'pending' ? undefined : r;
  });

test('a pool pinned by certificate fingerprint or by CA connects; a wrong pin or none is in error, saying why', async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const base = { url: front.url, username: 'root', password: 'xenroot' };
  const wrong = selfSignedCertificate('impostor');
  const made = await Promise.all([
    op('POST', '/v1/pools', { ...base, name: 'by-fingerprint', tlsFingerprint: cert.fingerprint256.replace(/:/g, '').toLowerCase() }),
    op('POST', '/v1/pools', { ...base, name: 'by-ca', caCertificate: cert.certPem }),
    op('POST', '/v1/pools', { ...base, name: 'wrong-pin', tlsFingerprint: wrong.fingerprint256 }),
    op('POST', '/v1/pools', { ...base, name: 'no-pin' }),
  ]);
  assert.deepEqual(
    made.map((r) => r.status),
    [201, 201, 201, 201],
    JSON.stringify(made.map((r) => r.body)),
  );
  const [fp, ca, bad, none] = await Promise.all(made.map((r) => settled(r.body.id)));

  assert.equal(fp.status, 'connected', fp.lastError);
  assert.equal(fp.hostCount, 2);
  assert.deepEqual(fp.tlsPin, { type: 'certificate', sha256: cert.fingerprint256 });
  assert.equal(ca.status, 'connected', ca.lastError);
  assert.deepEqual(ca.tlsPin, { type: 'ca', sha256: cert.fingerprint256 }, 'the CA shows as its fingerprint');
  assert.equal(bad.status, 'error');
  assert.match(bad.lastError, new RegExp(`fingerprint ${cert.fingerprint256} is not the pinned ${wrong.fingerprint256}`));
  assert.equal(none.status, 'error');
  assert.match(none.lastError, /DEPTH_ZERO_SELF_SIGNED_CERT.*caCertificate or tlsFingerprint/);

  // The PEM never comes back, in any view.
  const body = JSON.stringify([(await op('GET', '/v1/pools')).body, (await op('GET', `/v1/pools/${ca.id}`)).body, made[1].body]);
  assert.ok(!body.includes('BEGIN CERTIFICATE') && !body.includes(cert.certPem.split('\n')[1]), 'no PEM in any answer');
  const db = new pg.Client({ connectionString: stack.db.url });
  await db.connect();
  const { rows } = await db.query(
    `SELECT name, tls_ca_pem IS NOT NULL AS ca, tls_fingerprint FROM pools WHERE name IN ('by-fingerprint', 'by-ca') ORDER BY name`,
  );
  await db.end();
  assert.deepEqual(rows, [
    { name: 'by-ca', ca: true, tls_fingerprint: null },
    { name: 'by-fingerprint', ca: false, tls_fingerprint: cert.fingerprint256 },
  ]);
});

test('bad trust settings are 400 with the field named', async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const base = { url: front.url, username: 'root', password: 'xenroot' };
  for (const [body, path] of [
    [{ ...base, name: 'both', caCertificate: cert.certPem, tlsFingerprint: cert.fingerprint256 }, 'tlsFingerprint'],
    [{ ...base, name: 'short', tlsFingerprint: 'AB:CD' }, 'tlsFingerprint'],
    [{ ...base, name: 'garbage', caCertificate: 'not a certificate' }, 'caCertificate'],
    [{ ...base, name: 'broken', caCertificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' }, 'caCertificate'],
    [{ ...base, name: 'plain', url: sim.url, tlsFingerprint: cert.fingerprint256 }, 'tlsFingerprint'],
  ] as const) {
    const r = await op('POST', '/v1/pools', body);
    assert.equal(r.status, 400, `${body.name}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.code, 'validation_failed');
    assert.ok(
      r.body.errors.some((e: { path: string }) => e.path === path),
      `${body.name}: ${JSON.stringify(r.body.errors)}`,
    );
  }
});
