import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { startApi, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let tokenA: string;
let tokenB: string;
let tenantA: string;
let keyA: string;
let flavorId: string;
let imageId: string;

async function tenant(name: string) {
  const t = await api.call('POST', '/v1/tenants', { body: { name } });
  const k = await api.call('POST', `/v1/tenants/${t.body.id}/api-keys`, { body: { name: 'a', role: 'admin' } });
  return { id: t.body.id as string, token: k.body.token as string, keyId: k.body.id as string };
}

before(async () => {
  api = await startApi();
  ({ id: tenantA, token: tokenA, keyId: keyA } = await tenant('idem-a'));
  ({ token: tokenB } = await tenant('idem-b'));
  flavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'idem', vcpus: 1, memoryMiB: 512, diskGiB: 5 } })).body.id;
  imageId = (await api.call('POST', '/v1/images', { body: { name: 'idem', template: 'Debian Bookworm 12' } })).body.id;
});
after(async () => {
  await api?.close();
});

const create = (token: string, key: string, name = 'web') =>
  api.call('POST', '/v1/vms', { token, body: { name, flavorId, imageId }, headers: { 'idempotency-key': key } });

describe('Idempotency-Key', () => {
  test('the same key and body replay the first answer with the same ids', async () => {
    const first = await create(tokenA, 'k-replay');
    const again = await create(tokenA, 'k-replay');
    assert.equal(first.status, 202);
    assert.equal(again.status, 202);
    assert.equal(again.body.vm.id, first.body.vm.id);
    assert.equal(again.body.operation.id, first.body.operation.id);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.headers.get('location'), first.headers.get('location'));
  });

  test('the same key with another body is 422', async () => {
    await create(tokenA, 'k-other', 'one');
    const r = await create(tokenA, 'k-other', 'two');
    assert.equal(r.status, 422);
    assert.equal(r.body.code, 'idempotency_key_reused');
  });

  test('concurrent duplicates create exactly one VM', async () => {
    const before = (await api.call('GET', '/v1/vms?limit=500', { token: tokenA })).body.items.length;
    const answers = await Promise.all(Array.from({ length: 12 }, () => create(tokenA, 'k-race', 'raced')));
    assert.ok(
      answers.every((a) => a.status === 202),
      answers.map((a) => a.status).join(','),
    );
    assert.equal(new Set(answers.map((a) => a.body.vm.id)).size, 1);
    const afterCount = (await api.call('GET', '/v1/vms?limit=500', { token: tokenA })).body.items.length;
    assert.equal(afterCount, before + 1);
  });

  test('a request that failed validation leaves the key free for the corrected one', async () => {
    const bad = await api.call('POST', '/v1/vms', { token: tokenA, body: { name: '', flavorId, imageId }, headers: { 'idempotency-key': 'k-fix' } });
    assert.equal(bad.status, 400);
    const bad2 = await api.call('POST', '/v1/vms', {
      token: tokenA,
      body: { name: 'fixed', flavorId, imageId },
      headers: { 'idempotency-key': 'k-fix' },
    });
    assert.equal(bad2.status, 202);
  });

  test('keys are scoped per API key: another tenant, or another key of the same tenant, runs its own request', async () => {
    const a = await create(tokenA, 'k-shared');
    const b = await create(tokenB, 'k-shared');
    assert.equal(b.status, 202);
    assert.notEqual(a.body.vm.id, b.body.vm.id);
    const second = (await api.call('POST', `/v1/tenants/${tenantA}/api-keys`, { body: { name: 'second', role: 'admin' } })).body.token;
    const c = await create(second, 'k-shared');
    assert.equal(c.status, 202);
    assert.equal(c.headers.get('idempotent-replayed'), null);
    assert.notEqual(c.body.vm.id, a.body.vm.id);
  });

  test('a malformed key is 400', async () => {
    const r = await create(tokenA, 'x'.repeat(300));
    assert.equal(r.status, 400);
  });

  test('after a crash mid-request: nothing launched means the retry runs; something launched is never run twice', async () => {
    const db = new pg.Client({ connectionString: api.db.url });
    await db.connect();
    try {
      const body = { name: 'crashed', flavorId, imageId };
      const canonical = `{"flavorId":${JSON.stringify(flavorId)},"imageId":${JSON.stringify(imageId)},"name":"crashed"}`;
      const hash = createHash('sha256').update(`POST /v1/vms\n${canonical}`).digest();
      // A claim left by a request that died before it committed anything.
      await db.query(`INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ($1, 'k-dead', $2, now() - interval '1 minute')`, [
        `key:${keyA}`,
        hash,
      ]);
      const retried = await api.call('POST', '/v1/vms', { token: tokenA, body, headers: { 'idempotency-key': 'k-dead' } });
      assert.equal(retried.status, 202);
      // A claim whose operation committed but whose answer was never stored.
      const opId = randomUUID();
      await db.query(
        `INSERT INTO idempotency_keys (scope, key, request_hash, operation_id, created_at) VALUES ($1, 'k-launched', $2, $3, now() - interval '1 minute')`,
        [`key:${keyA}`, hash, opId],
      );
      const refused = await api.call('POST', '/v1/vms', { token: tokenA, body, headers: { 'idempotency-key': 'k-launched' } });
      assert.deepEqual([refused.status, refused.body.code, refused.body.operationId], [409, 'idempotency_key_in_progress', opId]);

      // Retries racing for one abandoned claim: exactly one takes it over and runs, the others replay its answer.
      const racing = { name: 'taken-over', flavorId, imageId };
      const racingHash = createHash('sha256')
        .update(`POST /v1/vms\n{"flavorId":${JSON.stringify(flavorId)},"imageId":${JSON.stringify(imageId)},"name":"taken-over"}`)
        .digest();
      await db.query(`INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ($1, 'k-raced', $2, now() - interval '1 minute')`, [
        `key:${keyA}`,
        racingHash,
      ]);
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => api.call('POST', '/v1/vms', { token: tokenA, body: racing, headers: { 'idempotency-key': 'k-raced' } })),
      );
      assert.deepEqual(
        answers.map((a) => a.status),
        Array(6).fill(202),
      );
      assert.equal(new Set(answers.map((a) => a.body.vm.id)).size, 1, 'one VM for all of them');
      assert.equal(answers.filter((a) => a.headers.get('idempotent-replayed') !== 'true').length, 1, 'run once, replayed five times');
      assert.equal((await db.query(`SELECT count(*)::int AS n FROM vms WHERE name = 'taken-over'`)).rows[0].n, 1);
    } finally {
      await db.end();
    }
  });
});

describe('Idempotency-Key on API key creation (issue 11)', () => {
  async function withKeys(name: string) {
    const t = (await api.call('POST', '/v1/tenants', { body: { name } })).body;
    const key = async (role: string) => (await api.call('POST', `/v1/tenants/${t.id}/api-keys`, { body: { name: role, role } })).body;
    return { id: t.id as string, admin: (await key('admin')).token as string, member: (await key('member')).token as string };
  }
  const mint = (token: string, tenantId: string, key: string) =>
    api.call('POST', `/v1/tenants/${tenantId}/api-keys`, { token, body: { name: 'ci', role: 'admin' }, headers: { 'idempotency-key': key } });

  test("a member replaying an admin's Idempotency-Key is refused and gets no token", async () => {
    const t = await withKeys('idem-keys-member');
    const first = await mint(t.admin, t.id, 'k-admin-key');
    assert.equal(first.status, 201);
    assert.match(first.body.token, /^xpk_/);
    const stolen = await mint(t.member, t.id, 'k-admin-key');
    assert.equal(stolen.status, 403, JSON.stringify(stolen.body));
    assert.equal(stolen.body.code, 'forbidden');
    assert.ok(!JSON.stringify(stolen.body).includes(first.body.token));
    assert.equal(stolen.headers.get('idempotent-replayed'), null);
  });

  test('a replay answers the same key without its token, says so, and the token is stored nowhere', async () => {
    const t = await withKeys('idem-keys-replay');
    const first = await mint(t.admin, t.id, 'k-replay-key');
    const again = await mint(t.admin, t.id, 'k-replay-key');
    assert.equal(first.status, 201);
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.body.token, null);
    for (const r of [first, again]) assert.equal(r.headers.get('cache-control'), 'no-store');
    const listed = await api.call('GET', `/v1/tenants/${t.id}/api-keys?limit=500`, { token: t.admin });
    assert.equal(listed.body.items.filter((k: { name: string }) => k.name === 'ci').length, 1, 'one key was made');
    const db = new pg.Client({ connectionString: api.db.url });
    await db.connect();
    try {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE response_body::text LIKE '%' || $1 || '%'`, [
        first.body.token.slice('xpk_0123456789abcdef_'.length),
      ]);
      assert.equal(rows[0].n, 0);
    } finally {
      await db.end();
    }
  });

  test('a replay is authorised again: a key creation for a tenant deleted since is 404, not its old answer', async () => {
    const t = (await api.call('POST', '/v1/tenants', { body: { name: 'idem-keys-gone' } })).body;
    const body = { name: 'ops', role: 'admin' };
    const first = await api.call('POST', `/v1/tenants/${t.id}/api-keys`, { body, headers: { 'idempotency-key': 'k-gone' } });
    assert.equal(first.status, 201);
    assert.equal((await api.call('DELETE', `/v1/tenants/${t.id}`)).status, 204);
    const replay = await api.call('POST', `/v1/tenants/${t.id}/api-keys`, { body, headers: { 'idempotency-key': 'k-gone' } });
    assert.equal(replay.status, 404, JSON.stringify(replay.body));
    assert.equal(replay.body.code, 'not_found');
  });
});
