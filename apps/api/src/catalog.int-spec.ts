// Flavors and images through the public API: read, rename, deprecate, share with named tenants, delete (refused while
// VMs use them), and images checked against the templates the pool showed at its last sync.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startApi, tenantWithKey, type ApiHarness } from './testing/api-harness.js';

interface Tenant {
  id: string;
  token: string;
}
let api: ApiHarness;
let db: pg.Pool;
let A: Tenant;
let B: Tenant;
let poolId: string;

const tenant = (name: string): Promise<Tenant> => tenantWithKey(api, name);
const flavor = async (name: string, extra: Record<string, unknown> = {}) => {
  const r = await api.call('POST', '/v1/flavors', { body: { name, vcpus: 1, memoryMiB: 256, diskGiB: 1, ...extra } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id as string;
};
const image = async (name: string, extra: Record<string, unknown> = {}) => {
  const r = await api.call('POST', '/v1/images', { body: { name, template: 'Debian Bookworm 12', ...extra } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id as string;
};
const createVm = (t: Tenant, flavorId: string, imageId: string) =>
  api.call('POST', '/v1/vms', { token: t.token, body: { name: `vm-${randomUUID().slice(0, 6)}`, flavorId, imageId } });
/** As the worker would record a finished operation, so the next change to the resource is accepted. */
async function settle(vmId: string, status: string): Promise<void> {
  await db.query(`UPDATE operations SET status = 'succeeded' WHERE resource_id = $1`, [vmId]);
  await db.query(`UPDATE vms SET status = $2 WHERE id = $1`, [vmId, status]);
}

before(async () => {
  api = await startApi();
  db = new pg.Pool({ connectionString: api.db.url, max: 2 });
  A = await tenant('cat-a');
  B = await tenant('cat-b');
  poolId = (await api.call('GET', '/v1/pools')).body.items[0].id;
});
after(async () => {
  await db?.end();
  await api?.close();
});

describe('reading and changing flavors and images', () => {
  test('GET by id and PATCH name; a taken name is 409 name_taken; a missing one is 404', async () => {
    const f = await flavor('cat-read');
    await flavor('cat-taken');
    const got = await api.call('GET', `/v1/flavors/${f}`, { token: A.token });
    assert.equal(got.status, 200);
    assert.deepEqual(
      { name: got.body.name, status: got.body.status, deprecated: got.body.deprecated, visibility: got.body.visibility },
      { name: 'cat-read', status: 'active', deprecated: false, visibility: 'public' },
    );
    assert.ok(!('tenantIds' in got.body), 'tenants never see whom an item is shared with');
    const renamed = await api.call('PATCH', `/v1/flavors/${f}`, { body: { name: 'cat-renamed' } });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.name, 'cat-renamed');
    assert.equal(renamed.body.vcpus, 1);
    assert.equal((await api.call('GET', `/v1/flavors/${f}`)).body.name, 'cat-renamed');
    const clash = await api.call('PATCH', `/v1/flavors/${f}`, { body: { name: 'CAT-TAKEN' } });
    assert.equal(clash.status, 409);
    assert.equal(clash.body.code, 'name_taken');
    assert.equal((await api.call('PATCH', `/v1/flavors/${randomUUID()}`, { body: { name: 'x' } })).status, 404);
    assert.equal((await api.call('GET', `/v1/images/${randomUUID()}`, { token: A.token })).status, 404);
    const sizes = await api.call('PATCH', `/v1/flavors/${f}`, { body: { vcpus: 4 } });
    assert.equal(sizes.status, 400, 'a flavor never changes what existing VMs were made from');
    assert.equal((await api.call('PATCH', `/v1/flavors/${f}`, { token: A.token, body: { name: 'mine' } })).status, 403);
  });
});

describe('deprecation', () => {
  test('a deprecated flavor or image is refused to new VMs and resizes with its own code, and kept for existing VMs', async () => {
    const [f, big, i] = [await flavor('dep-f'), await flavor('dep-big', { vcpus: 2 }), await image('dep-i')];
    const before = await createVm(A, f, i);
    assert.equal(before.status, 202);
    await settle(before.body.vm.id, 'stopped');
    for (const [path, id, code, field] of [
      ['flavors', f, 'flavor_deprecated', 'flavorId'],
      ['images', i, 'image_deprecated', 'imageId'],
    ] as const) {
      const dep = await api.call('PATCH', `/v1/${path}/${id}`, { body: { deprecated: true } });
      assert.equal(dep.status, 200);
      assert.deepEqual([dep.body.status, dep.body.deprecated], ['deprecated', true]);
      const refused = await createVm(A, f, i);
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.equal(refused.body.code, code);
      assert.deepEqual(
        refused.body.errors.map((e: { path: string }) => e.path),
        [field],
      );
      // Listed (existing VMs name it), and found by its status.
      const listed = (await api.call('GET', `/v1/${path}?status=deprecated`, { token: A.token })).body.items.map((x: { id: string }) => x.id);
      assert.ok(listed.includes(id));
      assert.ok((await api.call('GET', `/v1/${path}`, { token: A.token })).body.items.some((x: { id: string }) => x.id === id));
      await api.call('PATCH', `/v1/${path}/${id}`, { body: { deprecated: false } });
    }
    await api.call('PATCH', `/v1/flavors/${big}`, { body: { deprecated: true } });
    const resize = await api.call('PATCH', `/v1/vms/${before.body.vm.id}`, { token: A.token, body: { flavorId: big } });
    assert.equal(resize.status, 422);
    assert.equal(resize.body.code, 'flavor_deprecated');
    await api.call('PATCH', `/v1/flavors/${f}`, { body: { deprecated: true } });
    // The VM made before keeps its flavor and can still be acted on.
    const vm = await api.call('GET', `/v1/vms/${before.body.vm.id}`, { token: A.token });
    assert.equal(vm.body.flavorId, f);
    assert.equal((await api.call('POST', `/v1/vms/${before.body.vm.id}/actions`, { token: A.token, body: { action: 'start' } })).status, 202);
    await api.call('PATCH', `/v1/flavors/${f}`, { body: { deprecated: false } });
    await settle(before.body.vm.id, 'stopped');
    assert.equal((await createVm(A, f, i)).status, 202, 'usable again once undeprecated');
  });
});

describe('visibility', () => {
  test('a flavor or image shared with A is invisible to B: absent from lists, 404 by id, and "no such" on a create', async () => {
    const f = await flavor('vis-f', { visibility: 'shared', tenantIds: [A.id] });
    const i = await image('vis-i', { visibility: 'shared', tenantIds: [A.id] });
    const publicF = await flavor('vis-public');
    const publicI = await image('vis-public');
    const ids = async (path: string, t?: Tenant) =>
      (await api.call('GET', `${path}?limit=500`, { token: t?.token })).body.items.map((x: { id: string }) => x.id);
    assert.ok((await ids('/v1/flavors', A)).includes(f));
    assert.ok(!(await ids('/v1/flavors', B)).includes(f));
    assert.ok(!(await ids('/v1/images', B)).includes(i));
    assert.ok((await ids('/v1/flavors', B)).includes(publicF));
    const op = await api.call('GET', `/v1/flavors/${f}`);
    assert.deepEqual([op.body.visibility, op.body.tenantIds], ['shared', [A.id]]);
    // B cannot tell a flavor shared with someone else from one that does not exist.
    const theirs = await api.call('GET', `/v1/flavors/${f}`, { token: B.token });
    const missing = await api.call('GET', `/v1/flavors/${randomUUID()}`, { token: B.token });
    assert.equal(theirs.status, 404);
    assert.equal(theirs.body.detail.replace(f, '<id>'), missing.body.detail.replace(/[0-9a-f-]{36}/, '<id>'));
    const created = await createVm(B, f, publicI);
    const nonexistent = await createVm(B, randomUUID(), publicI);
    assert.equal(created.status, 400);
    assert.deepEqual(created.body.errors, nonexistent.body.errors);
    assert.deepEqual(created.body.errors, [{ path: 'flavorId', message: 'no such flavor' }]);
    assert.deepEqual((await createVm(B, publicF, i)).body.errors, [{ path: 'imageId', message: 'no such image' }]);
    assert.equal((await createVm(A, f, i)).status, 202, 'A may use what is shared with it');
    // Shared with B as well (and then public), B sees and may use it.
    assert.equal((await api.call('PATCH', `/v1/flavors/${f}`, { body: { tenantIds: [A.id, B.id] } })).status, 200);
    assert.ok((await ids('/v1/flavors', B)).includes(f));
    assert.equal((await api.call('PATCH', `/v1/images/${i}`, { body: { visibility: 'public' } })).status, 200);
    assert.equal((await createVm(B, f, i)).status, 202);
  });

  test('naming a tenant that does not exist, or a visibility that is not one, is 400', async () => {
    const f = await flavor('vis-bad');
    const ghost = randomUUID();
    const r = await api.call('PATCH', `/v1/flavors/${f}`, { body: { visibility: 'shared', tenantIds: [A.id, ghost] } });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.errors, [{ path: 'tenantIds', message: `no such tenant: ${ghost}` }]);
    assert.equal((await api.call('PATCH', `/v1/flavors/${f}`, { body: { visibility: 'private' } })).status, 400);
    assert.equal((await api.call('POST', '/v1/images', { body: { name: 'vis-x', template: 't', tenantIds: ['nope'] } })).status, 400);
  });
});

describe('deletion', () => {
  test('refused with 409 in_use naming the VMs while any live VM uses it; then deleted, hidden, its name free again', async () => {
    const [f, i] = [await flavor('del-f'), await image('del-i')];
    const vms: string[] = [];
    for (let n = 0; n < 3; n++) vms.push((await createVm(n === 2 ? B : A, f, i)).body.vm.id);
    for (const [path, id] of [
      ['flavors', f],
      ['images', i],
    ]) {
      const r = await api.call('DELETE', `/v1/${path}/${id}`);
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.equal(r.body.code, 'in_use');
      assert.equal(r.body.count, 3);
      assert.deepEqual([...r.body.vmIds].sort(), [...vms].sort());
      assert.match(r.body.detail, new RegExp(vms[0]));
    }
    // Deleted VMs no longer hold it (as the worker records a finished delete).
    for (const vm of vms) await settle(vm, 'deleted');
    assert.equal((await api.call('DELETE', `/v1/flavors/${f}`)).status, 204);
    assert.equal((await api.call('DELETE', `/v1/flavors/${f}`)).status, 204, 'deleting again changes nothing');
    assert.equal((await api.call('DELETE', `/v1/images/${i}`)).status, 204);
    const ids = async (q: string) => (await api.call('GET', `/v1/flavors?limit=500${q}`)).body.items.map((x: { id: string }) => x.id);
    assert.ok(!(await ids('')).includes(f));
    assert.ok((await ids('&status=deleted')).includes(f));
    assert.equal((await api.call('GET', `/v1/flavors/${f}`)).body.status, 'deleted');
    assert.deepEqual((await createVm(A, f, await image('del-other'))).body.errors, [{ path: 'flavorId', message: 'no such flavor' }]);
    const again = await api.call('PATCH', `/v1/flavors/${f}`, { body: { name: 'del-revived' } });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'invalid_state');
    await flavor('del-f');
    await image('del-i');
    assert.equal((await api.call('DELETE', `/v1/flavors/${randomUUID()}`)).status, 404);
    assert.equal((await api.call('DELETE', `/v1/images/${i}`, { token: A.token })).status, 403);
  });

  test('a VM create already under way when its flavor is deleted is refused, never left live on a deleted flavor', async () => {
    const [f, i] = [await flavor('race-f'), await image('race-i')];
    // The create is held inside its transaction (at the tenant row it share-locks first), past its first look.
    const blocker = await db.connect();
    await blocker.query('BEGIN');
    await blocker.query(`SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE`, [A.id]);
    const creating = createVm(A, f, i);
    for (let n = 0; ; n++) {
      const waiting = await db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
      if (waiting.rowCount) break;
      assert.ok(n < 500, 'the create waits on the tenant row');
      await new Promise((res) => setTimeout(res, 10));
    }
    const del = await api.call('DELETE', `/v1/flavors/${f}`);
    assert.equal(del.status, 204, 'no VM uses it yet');
    await blocker.query('COMMIT');
    blocker.release();
    const created = await creating;
    assert.equal(created.status, 400, JSON.stringify(created.body));
    assert.deepEqual(created.body.errors, [{ path: 'flavorId', message: 'no such flavor' }]);
    const live = await db.query(`SELECT count(*)::int AS n FROM vms WHERE flavor_id = $1 AND status <> 'deleted'`, [f]);
    assert.equal(live.rows[0].n, 0);
  });
});

describe("a pool's templates", () => {
  test('listed as the last pool sync saw them; images must name one of them once the pool has synced', async () => {
    const before = await api.call('GET', `/v1/pools/${poolId}/templates`);
    assert.deepEqual(before.body, { items: [], syncedAt: null });
    // Before the first sync nothing is known: accepted (the worker's clone answers template_missing if need be).
    await image('tpl-unsynced', { template: 'Anything 1' });
    // As pool sync records them: the templates, then the pool as seen.
    const uuid = randomUUID();
    await db.query(
      `INSERT INTO pool_templates (pool_id, xapi_uuid, name_label, root_disk_bytes) VALUES ($1, $2, 'Debian Bookworm 12', $3), ($1, $4, 'Windows Server 2022', NULL)`,
      [poolId, uuid, 10 * 1024 ** 3 + 1, randomUUID()],
    );
    await db.query(`UPDATE pools SET status = 'connected', last_seen_at = now() WHERE id = $1`, [poolId]);
    const listed = await api.call('GET', `/v1/pools/${poolId}/templates`);
    assert.equal(listed.status, 200);
    assert.ok(listed.body.syncedAt);
    assert.deepEqual(
      listed.body.items.map((t: { name: string; rootDiskGiB: number | null }) => [t.name, t.rootDiskGiB]),
      [
        ['Debian Bookworm 12', 11],
        ['Windows Server 2022', null],
      ],
    );
    assert.equal(listed.body.items[0].uuid, uuid);
    assert.deepEqual(
      (await api.call('GET', `/v1/pools/${poolId}/templates?name=windows`)).body.items.map((t: { name: string }) => t.name),
      ['Windows Server 2022'],
    );
    const missing = await api.call('POST', '/v1/images', { body: { name: 'tpl-ghost', template: 'No Such Template 9' } });
    assert.equal(missing.status, 422);
    assert.equal(missing.body.code, 'template_not_found');
    assert.equal(missing.body.template, 'No Such Template 9');
    assert.equal(missing.body.poolId, poolId);
    assert.match(missing.body.detail, /No Such Template 9/);
    assert.deepEqual(
      missing.body.errors.map((e: { path: string }) => e.path),
      ['template'],
    );
    assert.ok(!(await api.call('GET', '/v1/images?name=tpl-ghost')).body.items.length, 'nothing was recorded');
    await image('tpl-by-name', { template: 'Debian Bookworm 12' });
    await image('tpl-by-uuid', { template: uuid });
    assert.equal((await api.call('GET', `/v1/pools/${randomUUID()}/templates`)).status, 404);
    assert.equal((await api.call('GET', `/v1/pools/${poolId}/templates`, { token: A.token })).status, 403);
  });
});
