// Keypairs (issue 15): validated keys with ssh-keygen's fingerprints, names unique per tenant, a quota dimension;
// and what POST /v1/vms takes for its config drive: keypairIds, userData (sealed, never shown), hostname.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { SecretBox } from '@xenplane/core';
import { sshKeygen, TEST_USER_DATA_KEY } from '@xenplane/testing';
import { startApi, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let db: pg.Client;
let flavorId: string;
let imageId: string;

const keygen = sshKeygen;

async function tenant(name: string, quota?: Record<string, number>): Promise<{ id: string; token: string }> {
  const t = await api.call('POST', '/v1/tenants', { body: { name, ...(quota ? { quota } : {}) } });
  const key = await api.call('POST', `/v1/tenants/${t.body.id}/api-keys`, { body: { name: 'k', role: 'member' } });
  return { id: t.body.id, token: key.body.token };
}

before(async () => {
  api = await startApi();
  db = new pg.Client({ connectionString: api.db.url });
  await db.connect();
  flavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'kp-small', vcpus: 1, memoryMiB: 512, diskGiB: 20 } })).body.id;
  imageId = (await api.call('POST', '/v1/images', { body: { name: 'kp-debian', template: 'Debian Bookworm 12' } })).body.id;
});
after(async () => {
  await db?.end();
  await api?.close();
});

describe('keypairs', () => {
  test('POST answers 201 with the fingerprint ssh-keygen prints; GET, list and DELETE work; names are unique per tenant', async () => {
    const t = await tenant('kp-a');
    const other = await tenant('kp-b');
    const { pub, fingerprint } = keygen('ed25519');
    const made = await api.call('POST', '/v1/keypairs', { token: t.token, body: { name: 'laptop', publicKey: pub } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual(Object.keys(made.body).sort(), ['createdAt', 'fingerprint', 'id', 'name', 'publicKey']);
    assert.equal(made.body.fingerprint, fingerprint);
    assert.equal(made.body.publicKey, pub.trim());
    assert.deepEqual((await api.call('GET', `/v1/keypairs/${made.body.id}`, { token: t.token })).body, made.body);
    assert.deepEqual((await api.call('GET', '/v1/keypairs', { token: t.token })).body.items, [made.body]);

    const again = await api.call('POST', '/v1/keypairs', { token: t.token, body: { name: 'laptop', publicKey: keygen('ecdsa', 256).pub } });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'name_taken');
    const theirs = await api.call('POST', '/v1/keypairs', { token: other.token, body: { name: 'laptop', publicKey: pub } });
    assert.equal(theirs.status, 201, 'another tenant may use the same name');
    assert.equal((await api.call('GET', `/v1/keypairs/${made.body.id}`, { token: other.token })).status, 404);
    assert.equal((await api.call('DELETE', `/v1/keypairs/${made.body.id}`, { token: other.token })).status, 404);

    assert.equal((await api.call('DELETE', `/v1/keypairs/${made.body.id}`, { token: t.token })).status, 204);
    assert.equal((await api.call('GET', `/v1/keypairs/${made.body.id}`, { token: t.token })).status, 404);
    assert.equal((await api.call('DELETE', `/v1/keypairs/${made.body.id}`, { token: t.token })).status, 404);
  });

  test('ecdsa and rsa keys are fingerprinted as ssh-keygen does; bad keys are 400 naming the problem at publicKey', async () => {
    const t = await tenant('kp-types');
    for (const [type, bits] of [
      ['ecdsa', 384],
      ['rsa', 2048],
    ] as const) {
      const { pub, fingerprint } = keygen(type, bits);
      const r = await api.call('POST', '/v1/keypairs', { token: t.token, body: { name: `${type}-${bits}`, publicKey: pub } });
      assert.equal(r.status, 201);
      assert.equal(r.body.fingerprint, fingerprint);
    }
    const { pub } = keygen('ed25519');
    for (const [publicKey, why] of [
      [keygen('rsa', 1024).pub, /at least 2048 bits/],
      ['ssh-ed25519 AAAA', /ends before/],
      [pub.replace('ssh-ed25519', 'ssh-rsa'), /says ssh-rsa/],
      ['hello world', /not accepted/],
      ['', /empty/],
    ] as const) {
      const r = await api.call('POST', '/v1/keypairs', { token: t.token, body: { name: 'bad', publicKey } });
      assert.equal(r.status, 400, publicKey);
      assert.equal(r.body.code, 'validation_failed');
      assert.equal(r.body.errors[0].path, 'publicKey');
      assert.match(r.body.errors[0].message, why);
    }
  });

  test('keypairs count against their quota dimension; a delete gives it back; the recount agrees', async () => {
    const t = await tenant('kp-quota', { keypairs: 2 });
    const key = () => keygen('ed25519').pub;
    const ids = [];
    for (const name of ['one', 'two'])
      ids.push((await api.call('POST', '/v1/keypairs', { token: t.token, body: { name, publicKey: key() } })).body.id);
    const refused = await api.call('POST', '/v1/keypairs', { token: t.token, body: { name: 'three', publicKey: key() } });
    assert.equal(refused.status, 409);
    assert.deepEqual([refused.body.code, refused.body.resource, refused.body.limit, refused.body.used], ['quota_exceeded', 'keypairs', 2, 2]);
    assert.equal((await api.call('GET', '/v1/quota', { token: t.token })).body.used.keypairs, 2);
    await api.call('DELETE', `/v1/keypairs/${ids[0]}`, { token: t.token });
    assert.equal((await api.call('GET', '/v1/quota', { token: t.token })).body.used.keypairs, 1);
    assert.equal((await api.call('POST', '/v1/keypairs', { token: t.token, body: { name: 'three', publicKey: key() } })).status, 201);
    const recount = await api.call('POST', `/v1/tenants/${t.id}/quota/recount`);
    assert.equal(recount.body.drift.keypairs, 0);
    assert.equal(recount.body.used.keypairs, 2);
  });
});

describe('POST /v1/vms with keypairs, user-data and a hostname', () => {
  test('the VM records its keys, its hostname and its user-data sealed; nothing shows it back, the audit log keeps its sha256', async () => {
    const t = await tenant('kp-vm');
    const { pub } = keygen('ed25519');
    const kp = (await api.call('POST', '/v1/keypairs', { token: t.token, body: { name: 'k', publicKey: pub } })).body;
    const userData = '#cloud-config\npackages: [nginx]\nwrite_files: [{path: /etc/secret, content: "s3cr3t-token-4711"}]\n';
    const r = await api.call('POST', '/v1/vms', {
      token: t.token,
      body: { name: 'Web_1', flavorId, imageId, keypairIds: [kp.id], userData, hostname: 'Web-1.Example.com' },
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const got = (await api.call('GET', `/v1/vms/${r.body.vm.id}`, { token: t.token })).body;
    const listed = (await api.call('GET', '/v1/vms', { token: t.token })).body.items[0];
    for (const v of [r.body.vm, got, listed]) assert.deepEqual([v.hostname, v.keypairIds], ['web-1.example.com', [kp.id]]);
    const shown = JSON.stringify([r.body, got, listed]);
    assert.ok(!shown.includes('s3cr3t'), 'never returned');
    const row = (await db.query(`SELECT * FROM vm_bootstrap WHERE vm_id = $1`, [r.body.vm.id])).rows[0];
    assert.equal(row.hostname, 'web-1.example.com');
    assert.deepEqual(row.ssh_keys, [pub.trim()]);
    assert.ok(!row.user_data_sealed.includes(Buffer.from('s3cr3t')), 'sealed at rest');
    assert.equal(new SecretBox(TEST_USER_DATA_KEY).open(row.user_data_sealed), userData);
    const sha = createHash('sha256').update(userData).digest('hex');
    assert.equal(row.user_data_sha256, sha);
    let audit: { route: string; details: Record<string, string> | null }[] = [];
    for (let i = 0; i < 50 && !audit.some((a) => a.route === '/v1/vms'); i++) {
      audit = (await api.call('GET', `/v1/audit?tenantId=${t.id}`)).body.items;
      await new Promise((res) => setTimeout(res, 20));
    }
    const entry = audit.find((a) => a.route === '/v1/vms')!;
    assert.deepEqual(entry.details, { userDataSha256: sha });
    assert.ok(!JSON.stringify(audit).includes('s3cr3t'));

    const plain = await api.call('POST', '/v1/vms', { token: t.token, body: { name: 'Db_2.x', flavorId, imageId } });
    const plainRow = (await db.query(`SELECT * FROM vm_bootstrap WHERE vm_id = $1`, [plain.body.vm.id])).rows[0];
    assert.equal(plainRow.hostname, 'db-2-x', 'defaults from the VM name');
    assert.equal(plainRow.user_data_sealed, null);
  });

  test('bad input: 65 KiB user-data, invalid hostnames, unknown or foreign keypair ids are 400 on the field; nothing is recorded', async () => {
    const t = await tenant('kp-vm-bad');
    const other = await tenant('kp-vm-other');
    const foreign = (await api.call('POST', '/v1/keypairs', { token: other.token, body: { name: 'k', publicKey: keygen('ed25519').pub } })).body;
    const base = { name: 'bad', flavorId, imageId };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ userData: 'x'.repeat(65 * 1024) }, 'userData', /65536/],
      [{ userData: 'é'.repeat(33_000) }, 'userData', /66000 bytes/],
      [{ hostname: 'web_1' }, 'hostname', /RFC 1123/],
      [{ hostname: '-web' }, 'hostname', /RFC 1123/],
      [{ hostname: `${'a'.repeat(64)}` }, 'hostname', /RFC 1123/],
      [{ keypairIds: ['00000000-0000-4000-8000-000000000000'] }, 'keypairIds.0', /no such keypair/],
      [{ keypairIds: [foreign.id] }, 'keypairIds.0', /no such keypair/],
      [{ keypairIds: ['nope'] }, 'keypairIds', /UUID/],
    ];
    for (const [extra, path, why] of cases) {
      const r = await api.call('POST', '/v1/vms', { token: t.token, body: { ...base, ...extra } });
      assert.equal(r.status, 400, `${JSON.stringify(extra).slice(0, 80)}: ${JSON.stringify(r.body).slice(0, 300)}`);
      assert.equal(r.body.code, 'validation_failed');
      const err = r.body.errors.find((e: { path: string }) => e.path === path);
      assert.ok(err, `${path} in ${JSON.stringify(r.body.errors)}`);
      assert.match(err.message, why);
    }
    assert.equal((await api.call('GET', '/v1/vms', { token: t.token })).body.items.length, 0);
    assert.equal((await api.call('GET', '/v1/quota', { token: t.token })).body.used.vms, 0);
  });

  test('user-data without USER_DATA_KEY on the API is 503 unavailable, not a VM with its user-data lost', async () => {
    const bare = await startApi({ USER_DATA_KEY: '' }, { attachTo: api.db });
    try {
      const t = await tenant('kp-nokey');
      const r = await bare.call('POST', '/v1/vms', { token: t.token, body: { name: 'x', flavorId, imageId, userData: '#!/bin/sh\necho hi\n' } });
      assert.equal(r.status, 503);
      assert.equal(r.body.code, 'unavailable');
    } finally {
      await bare.close();
    }
  });
});
