// Restart after host failure, the API's part (issue 18): the pool's grace, a flavor's restartOnHostFailure that its
// VMs take at creation (the operator changes it with PATCH /v1/flavors/:id), a VM's own restart (at create, or PATCH, no
// operation), and a dead host shown as such.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startApi, tenantWithKey, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let db: pg.Client;
let poolId: string;
let imageId: string;

before(async () => {
  api = await startApi();
  db = new pg.Client({ connectionString: api.db.url });
  await db.connect();
  poolId = randomUUID();
  await db.query(
    `INSERT INTO pools (id, name, url, username, from_env, status) VALUES ($1, 'hf-pool', 'http://hf.invalid', 'root', false, 'connected')`,
    [poolId],
  );
  await db.query(
    `INSERT INTO hosts (id, pool_id, xapi_uuid, name, address, enabled, live, memory_total_bytes, memory_free_bytes, cpu_count, failed_at)
     VALUES ($1, $2, $3, 'hf-h1', '10.9.0.1', true, true, $4, $4, 8, NULL), ($5, $2, $6, 'hf-h2', '10.9.0.2', true, false, $4, $4, 8, now())`,
    [randomUUID(), poolId, randomUUID(), 64 * 1024 ** 3, randomUUID(), randomUUID()],
  );
  imageId = (await api.call('POST', '/v1/images', { body: { name: 'hf-debian', template: 'Debian Bookworm 12' } })).body.id;
});
after(async () => {
  await db?.end();
  await api?.close();
});

describe('restart after host failure (API)', () => {
  test("a pool's grace: 60 s unless the operator sets it, 0 to 86400", async () => {
    assert.equal((await api.call('GET', `/v1/pools/${poolId}`)).body.hostFailureGraceSeconds, 60);
    const r = await api.call('PATCH', `/v1/pools/${poolId}`, { body: { hostFailureGraceSeconds: 15 } });
    assert.equal(r.status, 200);
    assert.equal(r.body.hostFailureGraceSeconds, 15);
    for (const bad of [-1, 86401, 1.5, null, 'x']) {
      const refused = await api.call('PATCH', `/v1/pools/${poolId}`, { body: { hostFailureGraceSeconds: bad } });
      assert.equal(refused.status, 400, JSON.stringify(bad));
    }
    const listed = await api.call('GET', `/v1/hosts?poolId=${poolId}`);
    const failed = listed.body.items.filter((h: { failedAt: string | null }) => h.failedAt !== null).map((h: { name: string }) => h.name);
    assert.deepEqual(failed, ['hf-h2']);
  });

  test("a VM takes its flavor's restartOnHostFailure; the tenant changes its own without an operation", async () => {
    const protectedFlavor = await api.call('POST', '/v1/flavors', {
      body: { name: 'hf-ha', vcpus: 1, memoryMiB: 512, diskGiB: 10, restartOnHostFailure: true },
    });
    assert.equal(protectedFlavor.status, 201);
    assert.equal(protectedFlavor.body.restartOnHostFailure, true);
    const plainFlavor = await api.call('POST', '/v1/flavors', { body: { name: 'hf-plain', vcpus: 1, memoryMiB: 512, diskGiB: 10 } });
    assert.equal(plainFlavor.body.restartOnHostFailure, false);
    const { token } = await tenantWithKey(api, `hf-${randomUUID().slice(0, 8)}`);
    const create = (flavorId: string) => api.call('POST', '/v1/vms', { token, body: { name: `hf-${randomUUID().slice(0, 8)}`, flavorId, imageId } });
    const [a, b] = [await create(protectedFlavor.body.id), await create(plainFlavor.body.id)];
    assert.equal(a.status, 202, JSON.stringify(a.body));
    assert.deepEqual([a.body.vm.restart, b.body.vm.restart], [true, false]);
    const patched = await api.call('PATCH', `/v1/vms/${b.body.vm.id}`, { token, body: { restart: true } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.restart, true);
    assert.equal((await api.call('GET', `/v1/vms/${b.body.vm.id}`, { token })).body.restart, true);
    assert.equal((await api.call('PATCH', `/v1/vms/${b.body.vm.id}`, { token, body: { restart: 'yes' } })).status, 400);
  });

  test("the tenant sets restart at create, else the flavor's; a flavor's new default holds for VMs made after it", async () => {
    const flavor = await api.call('POST', '/v1/flavors', { body: { name: 'hf-later', vcpus: 1, memoryMiB: 512, diskGiB: 10 } });
    const { token } = await tenantWithKey(api, `hf-${randomUUID().slice(0, 8)}`);
    const create = (extra: object) =>
      api.call('POST', '/v1/vms', { token, body: { name: `hf-${randomUUID().slice(0, 8)}`, flavorId: flavor.body.id, imageId, ...extra } });
    const [chosen, unsaid, nulled] = [await create({ restart: true }), await create({}), await create({ restart: null })];
    assert.equal(chosen.status, 202, JSON.stringify(chosen.body));
    assert.deepEqual([chosen.body.vm.restart, unsaid.body.vm.restart, nulled.body.vm.restart], [true, false, false]);
    for (const bad of ['yes', 1]) assert.equal((await create({ restart: bad })).body.code, 'validation_failed', JSON.stringify(bad));

    const patched = await api.call('PATCH', `/v1/flavors/${flavor.body.id}`, { body: { restartOnHostFailure: true } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.restartOnHostFailure, true);
    assert.equal((await api.call('GET', `/v1/flavors/${flavor.body.id}`, { token })).body.restartOnHostFailure, true);
    const [after, optedOut] = [await create({}), await create({ restart: false })];
    assert.deepEqual([after.body.vm.restart, optedOut.body.vm.restart], [true, false]);
    assert.equal((await api.call('GET', `/v1/vms/${unsaid.body.vm.id}`, { token })).body.restart, false, 'an existing VM keeps its own');
    // Other fields of the patch keep their value; a null is left out like a missing field.
    const renamed = await api.call('PATCH', `/v1/flavors/${flavor.body.id}`, { body: { name: 'hf-later-2', restartOnHostFailure: null } });
    assert.deepEqual([renamed.status, renamed.body.restartOnHostFailure, renamed.body.name], [200, true, 'hf-later-2']);
    const bad = await api.call('PATCH', `/v1/flavors/${flavor.body.id}`, { body: { restartOnHostFailure: 'yes' } });
    assert.equal(bad.body.code, 'validation_failed');
    const onImage = await api.call('PATCH', `/v1/images/${imageId}`, { body: { restartOnHostFailure: true } });
    assert.equal(onImage.body.code, 'validation_failed', 'an image has no restart');
    const byTenant = await api.call('PATCH', `/v1/flavors/${flavor.body.id}`, { token, body: { restartOnHostFailure: false } });
    assert.equal(byTenant.status, 403);
  });
});
