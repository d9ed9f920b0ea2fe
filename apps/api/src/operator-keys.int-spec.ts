// Operator identity through the public API (issue 14): operator keys, expiry, rotation, last use, the audit naming
// the key, and the bootstrap token's identity and retirement.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { eventually } from '@xenplane/testing';
import { OPERATOR_TOKEN, startApi, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let db: pg.Client;
before(async () => {
  api = await startApi();
  db = new pg.Client({ connectionString: api.db.url });
  await db.connect();
});
after(async () => {
  await db?.end();
  await api?.close();
});

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
const operatorKey = async (name: string, extra: Record<string, unknown> = {}) => {
  const r = await api.call('POST', '/v1/operator-keys', { body: { name, ...extra } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body as { id: string; token: string; name: string; expiresAt: string | null; lastUsedAt: string | null; rotatedFrom: string | null };
};
const works = async (token: string) => (await api.call('GET', '/v1/tenants', { token })).status;

async function auditRow(requestId: string): Promise<Record<string, unknown>> {
  return eventually(`audit row ${requestId}`, async () => {
    const items = (await api.call('GET', '/v1/audit?limit=500')).body.items as { requestId: string }[];
    return items.find((i) => i.requestId === requestId);
  });
}

describe('operator keys', () => {
  test('created for a person (token once, stored hashed), listed with the bootstrap identity, revoked to 401', async () => {
    const alice = await operatorKey('alice');
    assert.match(alice.token, /^xpk_[0-9a-f]{16}_/);
    assert.deepEqual([alice.name, alice.expiresAt, alice.lastUsedAt, alice.rotatedFrom], ['alice', null, null, null]);
    const [stored] = (await db.query(`SELECT secret_hash, role, tenant_id FROM api_keys WHERE id = $1`, [alice.id])).rows;
    assert.deepEqual([stored.role, stored.tenant_id], ['operator', null]);
    assert.ok(!stored.secret_hash.toString('latin1').includes(alice.token.split('_')[2]), 'only a hash of the secret is kept');
    assert.equal(await works(alice.token), 200);

    const listed = (await api.call('GET', '/v1/operator-keys')).body.items as Record<string, unknown>[];
    assert.ok(listed.every((k) => !('token' in k)));
    assert.deepEqual(listed.find((k) => k.id === alice.id)?.bootstrap, false);
    const bootstrap = listed.find((k) => k.bootstrap);
    assert.equal(bootstrap?.name, 'bootstrap');
    assert.equal((await api.call('GET', `/v1/operator-keys/${alice.id}`)).body.name, 'alice');

    assert.equal((await api.call('DELETE', `/v1/operator-keys/${alice.id}`, { token: alice.token })).status, 204, 'a key may revoke itself');
    const refused = await api.call('GET', '/v1/tenants', { token: alice.token });
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal((await api.call('DELETE', `/v1/operator-keys/${alice.id}`)).status, 204, 'again: nothing changes');
    assert.ok((await api.call('GET', `/v1/operator-keys/${alice.id}`)).body.revokedAt);
    const t = await api.call('POST', '/v1/tenants', { body: { name: 'opkeys-tenant' } });
    assert.equal((await api.call('GET', `/v1/operator-keys/${t.body.id}`)).status, 404, 'a tenant id is no operator key');
  });

  test('tenant keys cannot reach them, and the bootstrap identity is neither rotated nor revoked here', async () => {
    const t = (await api.call('POST', '/v1/tenants', { body: { name: 'opkeys-roles' } })).body;
    const admin = (await api.call('POST', `/v1/tenants/${t.id}/api-keys`, { body: { name: 'a', role: 'admin' } })).body;
    for (const [method, path] of [
      ['GET', '/v1/operator-keys'],
      ['POST', '/v1/operator-keys'],
    ]) {
      const r = await api.call(method, path, { token: admin.token, body: method === 'POST' ? { name: 'sneaky' } : undefined });
      assert.equal(r.status, 403, `${method} ${path}`);
    }
    const bootstrap = ((await api.call('GET', '/v1/operator-keys')).body.items as { id: string; bootstrap: boolean }[]).find((k) => k.bootstrap)!;
    for (const [method, path] of [
      ['DELETE', `/v1/operator-keys/${bootstrap.id}`],
      ['POST', `/v1/operator-keys/${bootstrap.id}/rotate`],
    ]) {
      const r = await api.call(method, path, { body: method === 'POST' ? { expiresAt: null } : undefined });
      assert.equal(r.status, 409, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, 'invalid_state');
    }
    assert.equal(await works(OPERATOR_TOKEN), 200);
  });

  test('an expiry in the past is refused; a key past its expiry is 401, tenant keys included', async () => {
    const past = await api.call('POST', '/v1/operator-keys', { body: { name: 'late', expiresAt: '2020-01-01T00:00:00Z' } });
    assert.equal(past.status, 400);
    assert.deepEqual(
      past.body.errors.map((e: { path: string }) => e.path),
      ['expiresAt'],
    );
    const bob = await operatorKey('bob', { expiresAt: inAnHour() });
    assert.ok(bob.expiresAt);
    assert.equal(await works(bob.token), 200);
    const t = (await api.call('POST', '/v1/tenants', { body: { name: 'opkeys-expiry' } })).body;
    const member = await api.call('POST', `/v1/tenants/${t.id}/api-keys`, { body: { name: 'm', role: 'member', expiresAt: inAnHour() } });
    assert.equal(member.status, 201, JSON.stringify(member.body));
    assert.equal(member.body.expiresAt, new Date(member.body.expiresAt).toISOString());
    assert.equal((await api.call('GET', '/v1/vms', { token: member.body.token })).status, 200);
    // The hour passes (the database's clock is the one moved: the API compares against the stored instant).
    await db.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = ANY($1)`, [[bob.id, member.body.id]]);
    const expired = await api.call('GET', '/v1/tenants', { token: bob.token });
    assert.equal(expired.status, 401);
    assert.match(expired.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal((await api.call('GET', '/v1/vms', { token: member.body.token })).status, 401);
  });

  test('rotation: a new key with the same name; the old one keeps working until it is revoked', async () => {
    const carol = await operatorKey('carol');
    const rotated = await api.call('POST', `/v1/operator-keys/${carol.id}/rotate`, { body: { expiresAt: inAnHour() } });
    assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
    assert.equal(rotated.headers.get('cache-control'), 'no-store');
    const unsaid = await api.call('POST', `/v1/operator-keys/${carol.id}/rotate`, { body: {} });
    assert.equal(unsaid.status, 400, 'a rotation says when the new key expires (null: never)');
    assert.deepEqual([...new Set(unsaid.body.errors.map((e: { path: string }) => e.path))], ['expiresAt']);
    assert.deepEqual([rotated.body.name, rotated.body.rotatedFrom], ['carol', carol.id]);
    assert.notEqual(rotated.body.token, carol.token);
    assert.ok(rotated.body.expiresAt);
    assert.equal(await works(carol.token), 200, 'the overlap: both work');
    assert.equal(await works(rotated.body.token), 200);
    assert.equal((await api.call('DELETE', `/v1/operator-keys/${carol.id}`, { token: rotated.body.token })).status, 204);
    assert.equal(await works(carol.token), 401);
    assert.equal(await works(rotated.body.token), 200);
    const again = await api.call('POST', `/v1/operator-keys/${carol.id}/rotate`, { body: { expiresAt: null } });
    assert.equal(again.status, 409, 'a revoked key is not brought back by rotating it');
    assert.equal(again.body.code, 'invalid_state');
  });

  test("a tenant admin rotates the tenant's key: same name and role, charged to the apiKeys quota, old key works until revoked", async () => {
    const t = (await api.call('POST', '/v1/tenants', { body: { name: 'opkeys-rotate', quota: { apiKeys: 3 } } })).body;
    const admin = (await api.call('POST', `/v1/tenants/${t.id}/api-keys`, { body: { name: 'adm', role: 'admin' } })).body;
    const ci = (await api.call('POST', `/v1/tenants/${t.id}/api-keys`, { token: admin.token, body: { name: 'ci', role: 'member' } })).body;
    const r = await api.call('POST', `/v1/tenants/${t.id}/api-keys/${ci.id}/rotate`, { token: admin.token, body: { expiresAt: null } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual([r.body.name, r.body.role, r.body.rotatedFrom, r.body.tenantId], ['ci', 'member', ci.id, t.id]);
    assert.equal((await api.call('GET', '/v1/vms', { token: ci.token })).status, 200);
    assert.equal((await api.call('GET', '/v1/vms', { token: r.body.token })).status, 200);
    assert.equal((await api.call('GET', `/v1/tenants/${t.id}/quota`)).body.used.apiKeys, 3);
    const full = await api.call('POST', `/v1/tenants/${t.id}/api-keys/${ci.id}/rotate`, { token: admin.token, body: { expiresAt: null } });
    assert.equal(full.status, 409);
    assert.equal(full.body.code, 'quota_exceeded');
    const member = await api.call('POST', `/v1/tenants/${t.id}/api-keys/${ci.id}/rotate`, { token: r.body.token, body: { expiresAt: null } });
    assert.equal(member.status, 403, 'members do not manage keys');
  });

  test('lastUsedAt: set by the first use, then written at most once a minute per key', async () => {
    const dave = await operatorKey('dave');
    const seen = async () => (await api.call('GET', `/v1/operator-keys/${dave.id}`)).body.lastUsedAt as string | null;
    assert.equal(await seen(), null, 'created, never used');
    assert.equal(await works(dave.token), 200);
    const first = await seen();
    assert.ok(first);
    for (let i = 0; i < 5; i++) assert.equal(await works(dave.token), 200);
    assert.equal(await seen(), first, 'uses within the minute write nothing');
    // A minute later (the stored instant moved back): the next use writes again.
    await db.query(`UPDATE api_keys SET last_used_at = last_used_at - interval '2 minutes' WHERE id = $1`, [dave.id]);
    const moved = await seen();
    assert.equal(await works(dave.token), 200);
    const later = await seen();
    assert.ok(later && moved && Date.parse(later) > Date.parse(moved), `${moved} -> ${later}`);
  });

  test("the audit log names the key by id and name; the bootstrap token's rows name its own identity, never the nil uuid", async () => {
    const erin = await operatorKey('erin');
    const made = await api.call('POST', '/v1/tenants', {
      token: erin.token,
      body: { name: 'opkeys-audit' },
      headers: { 'x-request-id': 'opk-erin' },
    });
    assert.equal(made.status, 201);
    const row = await auditRow('opk-erin');
    assert.deepEqual([row.apiKeyId, row.apiKeyName, row.role], [erin.id, 'erin', 'operator']);
    const boot = await api.call('POST', '/v1/tenants', { body: { name: 'opkeys-audit-2' }, headers: { 'x-request-id': 'opk-boot' } });
    assert.equal(boot.status, 201);
    const bootRow = await auditRow('opk-boot');
    const bootstrap = ((await api.call('GET', '/v1/operator-keys')).body.items as { id: string; bootstrap: boolean }[]).find((k) => k.bootstrap)!;
    assert.deepEqual([bootRow.apiKeyId, bootRow.apiKeyName], [bootstrap.id, 'bootstrap']);
    assert.notEqual(bootRow.apiKeyId, '00000000-0000-0000-0000-000000000000');
  });
});

describe('the bootstrap token', () => {
  test('BOOTSTRAP_OPERATOR_TOKEN_RETIRES=never: it works as long as it is configured, operator keys or not', async () => {
    await operatorKey('frank');
    assert.equal(await works(OPERATOR_TOKEN), 200);
  });
});
