import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startApi, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let api2: ApiHarness;
let db: pg.Pool;
let flavorId: string;
let bigFlavorId: string;
let imageId: string;

before(async () => {
  api = await startApi();
  // A second API instance on the same database: another API process, as far as Postgres can tell.
  api2 = await startApi({}, { attachTo: api.db });
  db = new pg.Pool({ connectionString: api.db.url, max: 2 });
  flavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'q-small', vcpus: 1, memoryMiB: 256, diskGiB: 2 } })).body.id;
  bigFlavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'q-big', vcpus: 2, memoryMiB: 1024, diskGiB: 10 } })).body.id;
  imageId = (await api.call('POST', '/v1/images', { body: { name: 'q-debian', template: 'Debian Bookworm 12' } })).body.id;
});
after(async () => {
  await db?.end();
  await api2?.close();
  await api?.close();
});

const UNLIMITED = {
  vms: null,
  vcpus: null,
  memoryMiB: null,
  diskGiB: null,
  networks: null,
  apiKeys: null,
  keypairs: null,
  volumes: null,
  volumeGiB: null,
  snapshots: null,
  snapshotGiB: null,
  publicIps: null,
  securityGroups: null,
  securityGroupRules: null,
  imageGiB: null,
};

async function tenant(name: string, quota?: Record<string, number | null>) {
  const t = await api.call('POST', '/v1/tenants', { body: quota ? { name, quota } : { name } });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  const k = await api.call('POST', `/v1/tenants/${t.body.id}/api-keys`, { body: { name: 'admin', role: 'admin' } });
  return { id: t.body.id as string, token: k.body.token as string };
}

function createVm(via: ApiHarness, token: string, i: number, flavor = flavorId) {
  return via.call('POST', '/v1/vms', { token, body: { name: `vm-${i}`, flavorId: flavor, imageId } });
}

async function ledger(tenantId: string): Promise<{ charges: number; vmRows: number }> {
  const { rows } = await db.query(
    `SELECT (SELECT count(*)::int FROM quota_ledger WHERE tenant_id = $1 AND kind = 'charge' AND vms > 0) AS charges,
            (SELECT count(*)::int FROM vms WHERE tenant_id = $1) AS "vmRows"`,
    [tenantId],
  );
  return rows[0];
}

const ZERO_DRIFT = {
  vms: 0,
  vcpus: 0,
  memoryMiB: 0,
  diskGiB: 0,
  networks: 0,
  apiKeys: 0,
  keypairs: 0,
  volumes: 0,
  volumeGiB: 0,
  snapshots: 0,
  snapshotGiB: 0,
  publicIps: 0,
  securityGroups: 0,
  securityGroupRules: 0,
  imageGiB: 0,
};
// Each test tenant holds the one admin key tenant() made.
const ONE_KEY = { ...ZERO_DRIFT, apiKeys: 1, keypairs: 0 };

describe('quota routes', () => {
  test('a tenant is created with its quota; operators read and set it; tenants read their own', async () => {
    const t = await tenant('quota-routes', { vms: 3, vcpus: 8 });
    const got = await api.call('GET', `/v1/tenants/${t.id}/quota`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, { limits: { ...UNLIMITED, vms: 3, vcpus: 8 }, used: ONE_KEY });
    assert.equal((await createVm(api, t.token, 1, bigFlavorId)).status, 202);
    const mine = await api.call('GET', '/v1/quota', { token: t.token });
    assert.deepEqual(mine.body.used, {
      vms: 1,
      vcpus: 2,
      memoryMiB: 1024,
      diskGiB: 10,
      networks: 0,
      apiKeys: 1,
      keypairs: 0,
      volumes: 0,
      volumeGiB: 0,
      snapshots: 0,
      snapshotGiB: 0,
      publicIps: 0,
      securityGroups: 0,
      securityGroupRules: 0,
      imageGiB: 0,
    });
    assert.deepEqual((await api.call('GET', `/v1/quota?tenantId=${t.id}`)).body, mine.body, 'an operator names the tenant');
    const put = await api.call('PUT', `/v1/tenants/${t.id}/quota`, { body: { ...UNLIMITED, vcpus: 1, diskGiB: 0 } });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body.limits, { ...UNLIMITED, vcpus: 1, diskGiB: 0 }, 'a limit below usage is accepted');
    const refused = await createVm(api, t.token, 2);
    assert.equal(refused.status, 409);
    assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(refused.body.code, 'quota_exceeded');
    assert.deepEqual([refused.body.resource, refused.body.limit, refused.body.used, refused.body.requested], ['vcpus', 1, 2, 1]);
    const recount = await api.call('POST', `/v1/tenants/${t.id}/quota/recount`);
    assert.equal(recount.status, 200);
    assert.deepEqual(recount.body.drift, ZERO_DRIFT);
  });

  test('limits are non-negative integers or null, the first five present; bad bodies are 400 with their paths', async () => {
    const t = await tenant('quota-validation');
    const bad = await api.call('PUT', `/v1/tenants/${t.id}/quota`, {
      body: { vms: -1, vcpus: 1.5, memoryMiB: '5', diskGiB: null, apiKeys: -1, extra: 1 },
    });
    assert.equal(bad.status, 400);
    const paths = [...new Set(bad.body.errors.map((e: { path: string }) => e.path))].sort();
    assert.deepEqual(paths, ['apiKeys', 'extra', 'memoryMiB', 'networks', 'vcpus', 'vms']);
    const nested = await api.call('POST', '/v1/tenants', { body: { name: 'quota-bad', quota: { vms: -2, foo: 1 } } });
    assert.equal(nested.status, 400);
    assert.deepEqual(nested.body.errors.map((e: { path: string }) => e.path).sort(), ['quota.foo', 'quota.vms']);
    assert.equal((await api.call('POST', '/v1/tenants', { body: { name: 'quota-arr', quota: [] } })).status, 400);
    assert.equal((await api.call('POST', '/v1/tenants', { body: { name: 'quota-null', quota: null } })).status, 400, 'left out, not null');
    const noQuota = await api.call('POST', '/v1/tenants', { body: { name: 'quota-none' } });
    assert.deepEqual((await api.call('GET', `/v1/tenants/${noQuota.body.id}/quota`)).body.limits, UNLIMITED);
    assert.equal((await api.call('PATCH', `/v1/tenants/${t.id}`, { body: { name: 'renamed', quota: { vms: 1 } } })).status, 400);
  });

  test('tenants cannot reach the operator quota routes; unknown tenants are 404', async () => {
    const t = await tenant('quota-roles');
    for (const [method, path, body] of [
      ['GET', `/v1/tenants/${t.id}/quota`, undefined],
      ['PUT', `/v1/tenants/${t.id}/quota`, UNLIMITED],
      ['POST', `/v1/tenants/${t.id}/quota/recount`, undefined],
    ] as const) {
      assert.equal((await api.call(method, path, { token: t.token, body })).status, 403, `${method} ${path}`);
    }
    const nobody = '00000000-0000-4000-8000-000000000000';
    assert.equal((await api.call('GET', `/v1/tenants/${nobody}/quota`)).status, 404);
    assert.equal((await api.call('PUT', `/v1/tenants/${nobody}/quota`, { body: UNLIMITED })).status, 404);
    assert.equal((await api.call('POST', `/v1/tenants/${nobody}/quota/recount`)).status, 404);
    assert.equal((await api.call('GET', `/v1/quota?tenantId=${nobody}`)).status, 404);
  });
});

describe('concurrent creates never exceed the quota', () => {
  async function herd(name: string, instances: ApiHarness[]) {
    const t = await tenant(name, { vms: 50 });
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => createVm(instances[i % instances.length], t.token, i)));
    const byStatus = answers.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
    assert.deepEqual(byStatus, { 202: 50, 409: 150 });
    for (const r of answers.filter((a) => a.status === 409)) {
      assert.equal(r.body.code, 'quota_exceeded');
      assert.deepEqual([r.body.resource, r.body.limit, r.body.used, r.body.requested], ['vms', 50, 50, 1]);
    }
    const quota = await api.call('GET', `/v1/tenants/${t.id}/quota`);
    assert.deepEqual(quota.body.used, {
      vms: 50,
      vcpus: 50,
      memoryMiB: 50 * 256,
      diskGiB: 100,
      networks: 0,
      apiKeys: 1,
      keypairs: 0,
      volumes: 0,
      volumeGiB: 0,
      snapshots: 0,
      snapshotGiB: 0,
      publicIps: 0,
      securityGroups: 0,
      securityGroupRules: 0,
      imageGiB: 0,
    });
    assert.deepEqual(await ledger(t.id), { charges: 50, vmRows: 50 }, 'refused requests left no VM and no ledger row');
    assert.deepEqual((await api.call('POST', `/v1/tenants/${t.id}/quota/recount`)).body.drift, ZERO_DRIFT);
  }

  test('200 simultaneous POST /v1/vms with room for 50: exactly 50 accepted, 150 quota_exceeded', () => herd('herd-one', [api]));

  test('the same across two API instances on one database', () => herd('herd-two', [api, api2]));

  test('mixed: several tenants, two instances, limits changed mid-run; fixed limits hold exactly, usage never drifts', async () => {
    const fixedVms = await tenant('mix-vms', { vms: 30 });
    const fixedCpu = await tenant('mix-cpu', { vcpus: 40 });
    const moving = await tenant('mix-moving', { vms: 10 });
    const burst = (t: { token: string }, n: number, flavor = flavorId) =>
      Array.from({ length: n }, (_, i) => createVm(i % 2 ? api2 : api, t.token, i, flavor));
    const limitChanges = (async () => {
      for (const vms of [25, 8, 40, 5]) {
        assert.equal((await api2.call('PUT', `/v1/tenants/${moving.id}/quota`, { body: { ...UNLIMITED, vms } })).status, 200);
      }
    })();
    const [a, b, c] = await Promise.all([
      Promise.all(burst(fixedVms, 80)),
      Promise.all(burst(fixedCpu, 60, bigFlavorId)),
      Promise.all(burst(moving, 120)),
      limitChanges,
    ]);
    const accepted = (rs: { status: number }[]) => rs.filter((r) => r.status === 202).length;
    assert.equal(accepted(a), 30);
    assert.equal(accepted(b), 20, '40 vCPUs hold twenty 2-vCPU VMs');
    assert.ok(accepted(c) <= 40, `the moving tenant never passed the highest limit it had (${accepted(c)})`);
    assert.ok(
      [...a, ...b, ...c].every((r) => r.status === 202 || (r.status === 409 && (r as { body: { code: string } }).body.code === 'quota_exceeded')),
    );
    for (const [t, n] of [
      [fixedVms, accepted(a)],
      [fixedCpu, accepted(b)],
      [moving, accepted(c)],
    ] as const) {
      const q = await api.call('GET', `/v1/tenants/${t.id}/quota`);
      assert.equal(q.body.used.vms, n);
      assert.deepEqual(await ledger(t.id), { charges: n, vmRows: n });
      assert.deepEqual((await api.call('POST', `/v1/tenants/${t.id}/quota/recount`)).body.drift, ZERO_DRIFT);
    }
    // Whatever the run left, the last limit (5) now blocks growth if usage is above it.
    const more = await createVm(api, moving.token, 999);
    assert.equal(more.status, accepted(c) >= 5 ? 409 : 202);
  });
});

describe('the apiKeys quota dimension (issue 11)', () => {
  const mint = (tenantId: string, name: string) => api.call('POST', `/v1/tenants/${tenantId}/api-keys`, { body: { name, role: 'member' } });

  test('keys are charged when created and released when revoked; over the limit is 409 quota_exceeded', async () => {
    const t = await tenant('keys-quota', { apiKeys: 3 });
    const [a, b] = [await mint(t.id, 'a'), await mint(t.id, 'b')];
    assert.deepEqual([a.status, b.status], [201, 201]);
    const refused = await mint(t.id, 'c');
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'quota_exceeded');
    assert.deepEqual([refused.body.resource, refused.body.limit, refused.body.used, refused.body.requested], ['apiKeys', 3, 3, 1]);
    assert.equal(
      (await api.call('POST', `/v1/tenants/${t.id}/api-keys`, { token: t.token, body: { name: 'by-admin', role: 'member' } })).status,
      409,
      'tenant admins too',
    );
    const keys = (await api.call('GET', `/v1/tenants/${t.id}/api-keys?limit=500`)).body.items;
    assert.equal(keys.length, 3, 'the refused keys were not made');
    assert.equal((await api.call('DELETE', `/v1/tenants/${t.id}/api-keys/${a.body.id}`)).status, 204);
    assert.equal((await api.call('DELETE', `/v1/tenants/${t.id}/api-keys/${a.body.id}`)).status, 204, 'revoking again is a no-op');
    assert.equal((await api.call('GET', `/v1/quota`, { token: t.token })).body.used.apiKeys, 2, 'released once');
    assert.equal((await api.call('GET', '/v1/vms', { token: a.body.token })).status, 401);
    assert.equal((await mint(t.id, 'c')).status, 201);
    assert.deepEqual((await api.call('POST', `/v1/tenants/${t.id}/quota/recount`)).body.drift, ZERO_DRIFT);
  });

  test('PUT quota sets apiKeys, and leaving it out keeps it; 30 concurrent creations fit the limit exactly', async () => {
    const t = await tenant('keys-herd');
    const put = await api.call('PUT', `/v1/tenants/${t.id}/quota`, { body: { ...UNLIMITED, apiKeys: 5 } });
    assert.equal(put.status, 200);
    assert.equal(put.body.limits.apiKeys, 5);
    const { apiKeys: _left, ...legacy } = UNLIMITED;
    assert.equal(
      (await api.call('PUT', `/v1/tenants/${t.id}/quota`, { body: { ...legacy, vms: 9 } })).body.limits.apiKeys,
      5,
      'a client that predates apiKeys keeps it',
    );
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 ? api : api2).call('POST', `/v1/tenants/${t.id}/api-keys`, { body: { name: `k${i}`, role: 'member' } }),
      ),
    );
    assert.deepEqual(
      answers.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {}),
      { 201: 4, 409: 26 },
    );
    const quota = (await api.call('GET', `/v1/tenants/${t.id}/quota`)).body;
    assert.equal(quota.used.apiKeys, 5);
    assert.equal((await api.call('GET', `/v1/tenants/${t.id}/api-keys?limit=500`)).body.items.length, 5);
    await db.query(`UPDATE tenant_quotas SET api_keys_used = 0 WHERE tenant_id = $1`, [t.id]);
    const recount = await api.call('POST', `/v1/tenants/${t.id}/quota/recount`);
    assert.deepEqual(recount.body.drift, { ...ZERO_DRIFT, apiKeys: 5 }, 'recount counts live keys');
    assert.equal(recount.body.used.apiKeys, 5);
  });
});
