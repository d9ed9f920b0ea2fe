// /v1/volumes and /v1/volume-types with the real API and Postgres; no worker runs, so outcomes are recorded as it would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startApi, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let db: pg.Pool;
let flavorId: string;
let imageId: string;

async function tenant(name: string, quota?: Record<string, number | null>): Promise<{ id: string; token: string }> {
  const t = await api.call('POST', '/v1/tenants', { body: quota ? { name, quota } : { name } });
  const token = (await api.call('POST', `/v1/tenants/${t.body.id}/api-keys`, { body: { name: 'a', role: 'admin' } })).body.token;
  return { id: t.body.id, token };
}
const done = (operationId: string) => db.query(`UPDATE operations SET status = 'succeeded', finished_at = now() WHERE id = $1`, [operationId]);

/** A volume the worker has made. */
async function volume(token: string, sizeGiB = 10): Promise<string> {
  const r = await api.call('POST', '/v1/volumes', { token, body: { name: 'data', sizeGiB } });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await db.query(`UPDATE volumes SET status = 'available', presence = 'present', xapi_uuid = gen_random_uuid()::text WHERE id = $1`, [
    r.body.volume.id,
  ]);
  await done(r.body.operation.id);
  return r.body.volume.id;
}

async function vm(token: string, status: 'running' | 'stopped' = 'running'): Promise<string> {
  const r = await api.call('POST', '/v1/vms', { token, body: { name: 'web', flavorId, imageId } });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await db.query(`UPDATE vms SET status = $2, presence = 'present', xapi_uuid = gen_random_uuid()::text WHERE id = $1`, [r.body.vm.id, status]);
  await done(r.body.operation.id);
  return r.body.vm.id;
}

const act = (token: string, id: string, body: object) => api.call('POST', `/v1/volumes/${id}/actions`, { token, body });

before(async () => {
  api = await startApi();
  db = new pg.Pool({ connectionString: api.db.url, max: 4 });
  flavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'vol-small', vcpus: 1, memoryMiB: 256, diskGiB: 1 } })).body.id;
  imageId = (await api.call('POST', '/v1/images', { body: { name: 'vol-debian', template: 'Debian Bookworm 12' } })).body.id;
});
after(async () => {
  await db?.end();
  await api?.close();
});

describe('POST /v1/volumes', () => {
  test('answers 202 with the pending volume and its volume.create operation, charging volumes and volumeGiB', async () => {
    const a = await tenant('vol-co');
    const r = await api.call('POST', '/v1/volumes', { token: a.token, body: { name: 'data-1', sizeGiB: 20 } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual([r.body.volume.status, r.body.volume.sizeGiB, r.body.volume.vmId, r.body.volume.typeId], ['pending', 20, null, null]);
    assert.equal(r.body.operation.kind, 'volume.create');
    assert.equal(r.headers.get('location'), `/v1/operations/${r.body.operation.id}`);
    const used = (await api.call('GET', '/v1/quota', { token: a.token })).body.used;
    assert.deepEqual([used.volumes, used.volumeGiB, used.diskGiB], [1, 20, 0]);
  });

  test('refuses sizes of 0, negative, fractional, as text and beyond 65536 GiB, a bad name and an unknown type, all 400', async () => {
    const a = await tenant('vol-bad');
    for (const body of [
      { name: 'd', sizeGiB: 0 },
      { name: 'd', sizeGiB: -5 },
      { name: 'd', sizeGiB: 1.5 },
      { name: 'd', sizeGiB: '10' },
      { name: 'd', sizeGiB: 65_537 },
      { name: 'd', sizeGiB: Number.MAX_SAFE_INTEGER + 2 },
      { sizeGiB: 1 },
      { name: '-x', sizeGiB: 1 },
      { name: 'd', sizeGiB: 1, type: 'no-such-type' },
    ]) {
      const r = await api.call('POST', '/v1/volumes', { token: a.token, body });
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, 'validation_failed');
    }
    assert.equal((await api.call('GET', '/v1/quota', { token: a.token })).body.used.volumes, 0);
  });

  test('beyond the volumeGiB or volumes limit is 409 quota_exceeded and records nothing', async () => {
    const a = await tenant('vol-quota', { volumes: 2, volumeGiB: 15 });
    assert.equal((await api.call('POST', '/v1/volumes', { token: a.token, body: { name: 'a', sizeGiB: 10 } })).status, 202);
    const big = await api.call('POST', '/v1/volumes', { token: a.token, body: { name: 'b', sizeGiB: 6 } });
    assert.deepEqual([big.status, big.body.code], [409, 'quota_exceeded']);
    assert.equal((await api.call('POST', '/v1/volumes', { token: a.token, body: { name: 'b', sizeGiB: 5 } })).status, 202);
    const third = await api.call('POST', '/v1/volumes', { token: a.token, body: { name: 'c', sizeGiB: 1 } });
    assert.deepEqual([third.status, third.body.code], [409, 'quota_exceeded']);
    assert.equal((await api.call('GET', '/v1/volumes', { token: a.token })).body.items.length, 2);
  });

  test('200 concurrent creates against a quota of 50 accept exactly 50, and the recount finds no drift', async () => {
    const a = await tenant('vol-race', { volumes: 50 });
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => api.call('POST', '/v1/volumes', { token: a.token, body: { name: `r${i}`, sizeGiB: 2 } })),
    );
    const codes = answers.map((r) => (r.status === 202 ? 'accepted' : `${r.status} ${r.body.code}`));
    assert.equal(codes.filter((c) => c === 'accepted').length, 50);
    assert.equal(codes.filter((c) => c === '409 quota_exceeded').length, 150, JSON.stringify([...new Set(codes)]));
    const recount = await api.call('POST', `/v1/tenants/${a.id}/quota/recount`);
    assert.equal(recount.status, 200);
    assert.deepEqual([recount.body.used.volumes, recount.body.used.volumeGiB], [50, 100]);
    assert.ok(
      Object.values(recount.body.drift).every((d) => d === 0),
      JSON.stringify(recount.body.drift),
    );
  });
});

describe('GET /v1/volumes', () => {
  test('lists the tenant’s own volumes by cursor; another tenant’s volume is 404 like a missing one', async () => {
    const [a, b] = [await tenant('vol-list-a'), await tenant('vol-list-b')];
    const ids = [await volume(a.token), await volume(a.token), await volume(a.token)];
    await volume(b.token);
    const first = await api.call('GET', '/v1/volumes?limit=2', { token: a.token });
    assert.equal(first.body.items.length, 2);
    const second = await api.call('GET', `/v1/volumes?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`, { token: a.token });
    assert.deepEqual([...first.body.items, ...second.body.items].map((v: { id: string }) => v.id).sort(), [...ids].sort());
    assert.equal(second.body.nextCursor, null);
    assert.equal((await api.call('GET', `/v1/volumes/${ids[0]}`, { token: a.token })).body.status, 'available');
    const theirs = await api.call('GET', `/v1/volumes/${ids[0]}`, { token: b.token });
    const missing = await api.call('GET', `/v1/volumes/${randomUUID()}`, { token: b.token });
    assert.deepEqual([theirs.status, theirs.body.code], [404, 'not_found']);
    assert.equal(missing.status, 404);
  });
});

describe('attach, detach, grow and delete', () => {
  test('attach to another tenant’s VM is 404; to a deleted VM 409; a second attach 409 operation_in_progress, then 409 in_use', async () => {
    const [a, b] = [await tenant('vol-att-a'), await tenant('vol-att-b')];
    const [vol, mine, theirs] = [await volume(a.token), await vm(a.token), await vm(b.token)];
    const other = await act(a.token, vol, { action: 'attach', vmId: theirs });
    assert.deepEqual([other.status, other.body.code], [404, 'not_found']);
    assert.deepEqual((await act(a.token, vol, { action: 'attach' })).status, 400);
    const r = await act(a.token, vol, { action: 'attach', vmId: mine });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual([r.body.volume.status, r.body.volume.vmId, r.body.operation.kind], ['attaching', mine, 'volume.attach']);
    const busy = await act(a.token, vol, { action: 'attach', vmId: mine });
    assert.deepEqual([busy.status, busy.body.code, busy.body.operationId], [409, 'operation_in_progress', r.body.operation.id]);
    const busyDelete = await api.call('DELETE', `/v1/volumes/${vol}`, { token: a.token });
    assert.deepEqual([busyDelete.status, busyDelete.body.code], [409, 'operation_in_progress']);
    await db.query(`UPDATE volumes SET status = 'in-use' WHERE id = $1`, [vol]);
    await done(r.body.operation.id);
    const again = await act(a.token, vol, { action: 'attach', vmId: mine });
    assert.deepEqual([again.status, again.body.code], [409, 'in_use']);
    const del = await api.call('DELETE', `/v1/volumes/${vol}`, { token: a.token });
    assert.deepEqual([del.status, del.body.code], [409, 'in_use']);
    // A second volume cannot attach to a VM being deleted.
    const [vol2, gone] = [await volume(a.token), await vm(a.token)];
    await db.query(`UPDATE vms SET status = 'deleting' WHERE id = $1`, [gone]);
    const toDeleting = await act(a.token, vol2, { action: 'attach', vmId: gone });
    assert.deepEqual([toDeleting.status, toDeleting.body.code], [409, 'invalid_state']);
  });

  test('attach to a running VM whose guest cannot hot-plug (as the watcher recorded it) is 409 requires_stop; unknown or stopped, 202', async () => {
    const a = await tenant('vol-hotplug');
    const [vmId, first, second] = [await vm(a.token, 'running'), await volume(a.token), await volume(a.token)];
    await db.query(`UPDATE vms SET hotplug_vbd = false WHERE id = $1`, [vmId]);
    const refused = await act(a.token, first, { action: 'attach', vmId });
    assert.deepEqual([refused.status, refused.body.code], [409, 'requires_stop']);
    assert.equal((await api.call('GET', `/v1/volumes/${first}`, { token: a.token })).body.status, 'available', 'nothing changed');
    await db.query(`UPDATE vms SET status = 'stopped' WHERE id = $1`, [vmId]);
    const stopped = await act(a.token, first, { action: 'attach', vmId });
    assert.equal(stopped.status, 202, JSON.stringify(stopped.body));
    await done(stopped.body.operation.id);
    await db.query(`UPDATE vms SET status = 'running', hotplug_vbd = NULL WHERE id = $1`, [vmId]);
    assert.equal((await act(a.token, second, { action: 'attach', vmId })).status, 202, 'unknown: the worker decides');
  });

  test('grow: shrink or same size is 422 volume_shrink; attached to a running VM 409 detach_required; stopped or detached 202, charged', async () => {
    const a = await tenant('vol-grow', { volumeGiB: 100 });
    const vol = await volume(a.token, 10);
    for (const sizeGiB of [5, 10]) {
      const r = await api.call('PATCH', `/v1/volumes/${vol}`, { token: a.token, body: { sizeGiB } });
      assert.deepEqual([r.status, r.body.code], [422, 'volume_shrink'], JSON.stringify(r.body));
    }
    for (const sizeGiB of [0, -1, 65_537, 'x'])
      assert.equal((await api.call('PATCH', `/v1/volumes/${vol}`, { token: a.token, body: { sizeGiB } })).status, 400);
    const over = await api.call('PATCH', `/v1/volumes/${vol}`, { token: a.token, body: { sizeGiB: 101 } });
    assert.deepEqual([over.status, over.body.code], [409, 'quota_exceeded']);
    const running = await vm(a.token, 'running');
    await db.query(`UPDATE volumes SET status = 'in-use', vm_id = $2 WHERE id = $1`, [vol, running]);
    const attached = await api.call('PATCH', `/v1/volumes/${vol}`, { token: a.token, body: { sizeGiB: 20 } });
    assert.deepEqual([attached.status, attached.body.code], [409, 'detach_required']);
    await db.query(`UPDATE vms SET status = 'stopped' WHERE id = $1`, [running]);
    const r = await api.call('PATCH', `/v1/volumes/${vol}`, { token: a.token, body: { sizeGiB: 20 } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual([r.body.volume.sizeGiB, r.body.volume.status, r.body.operation.kind], [20, 'resizing', 'volume.resize']);
    assert.equal((await api.call('GET', '/v1/quota', { token: a.token })).body.used.volumeGiB, 20);
  });

  test('detach: records force on the operation; a detached volume is 409 invalid_state; delete of a detached volume is accepted', async () => {
    const a = await tenant('vol-detach');
    const [vol, v] = [await volume(a.token), await vm(a.token)];
    const notAttached = await act(a.token, vol, { action: 'detach' });
    assert.deepEqual([notAttached.status, notAttached.body.code], [409, 'invalid_state']);
    await db.query(`UPDATE volumes SET status = 'in-use', vm_id = $2 WHERE id = $1`, [vol, v]);
    assert.equal((await act(a.token, vol, { action: 'detach', force: 'yes' })).status, 400);
    const r = await act(a.token, vol, { action: 'detach', force: true });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual([r.body.volume.status, r.body.operation.kind], ['detaching', 'volume.detach']);
    const { rows } = await db.query(`SELECT checkpoint FROM operations WHERE id = $1`, [r.body.operation.id]);
    assert.equal(rows[0].checkpoint.force, true);
    await db.query(`UPDATE volumes SET status = 'available', vm_id = NULL WHERE id = $1`, [vol]);
    await done(r.body.operation.id);
    const del = await api.call('DELETE', `/v1/volumes/${vol}`, { token: a.token });
    assert.equal(del.status, 202, JSON.stringify(del.body));
    assert.deepEqual([del.body.volume.status, del.body.operation.kind], ['deleting', 'volume.delete']);
    const twice = await api.call('DELETE', `/v1/volumes/${vol}`, { token: a.token });
    assert.deepEqual([twice.status, twice.body.code], [409, 'operation_in_progress']);
  });
});

describe('a tenant with volumes', () => {
  test('cannot be deleted while a volume is live (its VDI would be left behind), and can once it is deleted', async () => {
    const a = await tenant('vol-tenant-delete');
    const vol = await volume(a.token);
    const refused = await api.call('DELETE', `/v1/tenants/${a.id}`);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    await db.query(`UPDATE volumes SET status = 'deleted', presence = 'released' WHERE id = $1`, [vol]);
    assert.equal((await api.call('DELETE', `/v1/tenants/${a.id}`)).status, 204);
  });
});

describe('/v1/volume-types', () => {
  test('operators define types (a name taken is 409); tenants list them and create volumes of a type; a tenant may not define one', async () => {
    const a = await tenant('vol-types');
    const srUuid = randomUUID();
    const made = await api.call('POST', '/v1/volume-types', { body: { name: 'ssd', srUuid } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const dup = await api.call('POST', '/v1/volume-types', { body: { name: 'SSD', srUuid: randomUUID() } });
    assert.deepEqual([dup.status, dup.body.code], [409, 'name_taken']);
    assert.equal((await api.call('POST', '/v1/volume-types', { body: { name: 'hdd', srUuid: 'not-a-uuid' } })).status, 400);
    const byTenant = await api.call('POST', '/v1/volume-types', { token: a.token, body: { name: 'mine', srUuid } });
    assert.deepEqual([byTenant.status, byTenant.body.code], [403, 'forbidden']);
    const listed = await api.call('GET', '/v1/volume-types', { token: a.token });
    assert.deepEqual(
      listed.body.items.map((t: { name: string; srUuid: string }) => [t.name, t.srUuid]),
      [['ssd', srUuid]],
    );
    await api.call('POST', '/v1/volume-types', { body: { name: 'archive', srUuid: randomUUID() } });
    const filtered = await api.call('GET', '/v1/volume-types?name=SS&order=asc', { token: a.token });
    assert.deepEqual(
      filtered.body.items.map((t: { name: string }) => t.name),
      ['ssd'],
      'the name filter matches ignoring case',
    );
    const newest = await api.call('GET', '/v1/volume-types?limit=1', { token: a.token });
    assert.deepEqual(
      newest.body.items.map((t: { name: string }) => t.name),
      ['archive'],
      'newest first',
    );
    const r = await api.call('POST', '/v1/volumes', { token: a.token, body: { name: 'fast', sizeGiB: 1, type: 'ssd' } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.volume.typeId, made.body.id);
  });
});
