// /v1/.../snapshots and /v1/snapshots with the real API and Postgres; no worker runs, so outcomes are recorded as it would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startApi, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let db: pg.Pool;
let small: string;
let big: string;
let imageId: string;

async function tenant(name: string, quota?: Record<string, number | null>): Promise<{ id: string; token: string }> {
  const t = await api.call('POST', '/v1/tenants', { body: quota ? { name, quota } : { name } });
  const token = (await api.call('POST', `/v1/tenants/${t.body.id}/api-keys`, { body: { name: 'a', role: 'admin' } })).body.token;
  return { id: t.body.id, token };
}
const done = (operationId: string) => db.query(`UPDATE operations SET status = 'succeeded', finished_at = now() WHERE id = $1`, [operationId]);

async function vm(token: string, status: 'running' | 'stopped' = 'stopped'): Promise<string> {
  const r = await api.call('POST', '/v1/vms', { token, body: { name: 'web', flavorId: small, imageId } });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await db.query(`UPDATE vms SET status = $2, presence = 'present', xapi_uuid = gen_random_uuid()::text WHERE id = $1`, [r.body.vm.id, status]);
  await done(r.body.operation.id);
  return r.body.vm.id;
}

/** A snapshot the worker has made. */
async function snapshot(token: string, vmId: string, name = 'base'): Promise<string> {
  const r = await api.call('POST', `/v1/vms/${vmId}/snapshots`, { token, body: { name } });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await db.query(`UPDATE snapshots SET status = 'available', presence = 'present', xapi_uuid = gen_random_uuid()::text WHERE id = $1`, [
    r.body.snapshot.id,
  ]);
  await done(r.body.operation.id);
  return r.body.snapshot.id;
}
const used = async (token: string) => (await api.call('GET', '/v1/quota', { token })).body.used;

before(async () => {
  api = await startApi();
  db = new pg.Pool({ connectionString: api.db.url, max: 4 });
  small = (await api.call('POST', '/v1/flavors', { body: { name: 'snap-small', vcpus: 1, memoryMiB: 512, diskGiB: 4 } })).body.id;
  big = (await api.call('POST', '/v1/flavors', { body: { name: 'snap-big', vcpus: 4, memoryMiB: 2048, diskGiB: 6 } })).body.id;
  imageId = (await api.call('POST', '/v1/images', { body: { name: 'snap-debian', template: 'Debian Bookworm 12' } })).body.id;
});
after(async () => {
  await db?.end();
  await api?.close();
});

describe('POST /v1/vms/:id/snapshots', () => {
  test('answers 202 with the pending snapshot, its operation on the VM, and charges snapshots and snapshotGiB', async () => {
    const a = await tenant('snap-create');
    const vmId = await vm(a.token, 'running');
    const r = await api.call('POST', `/v1/vms/${vmId}/snapshots`, { token: a.token, body: { name: 'before-upgrade' } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.headers.get('location'), `/v1/operations/${r.body.operation.id}`);
    const s = r.body.snapshot;
    assert.deepEqual([s.kind, s.vmId, s.volumeId, s.status, s.sizeGiB, s.name], ['vm', vmId, null, 'pending', 4, 'before-upgrade']);
    assert.deepEqual(s.vmSizes, { flavorId: small, vcpus: 1, memoryMiB: 512, diskGiB: 4 });
    assert.deepEqual([r.body.operation.kind, r.body.operation.resourceId], ['snapshot.create', vmId]);
    const u = await used(a.token);
    assert.deepEqual([u.snapshots, u.snapshotGiB], [1, 4]);
    assert.equal((await api.call('GET', `/v1/snapshots/${s.id}`, { token: a.token })).body.status, 'pending');
    // one operation at a time on the VM: a stop now waits for the snapshot
    const stop = await api.call('POST', `/v1/vms/${vmId}/actions`, { token: a.token, body: { action: 'stop' } });
    assert.deepEqual([stop.status, stop.body.code, stop.body.operationKind], [409, 'operation_in_progress', 'snapshot.create']);
    const recount = await api.call('POST', `/v1/tenants/${a.id}/quota/recount`);
    assert.deepEqual([recount.body.drift.snapshots, recount.body.drift.snapshotGiB], [0, 0]);
  });

  test('bad names are 400, a taken one 409 name_taken, another tenant’s VM 404, a VM not settled 409 invalid_state', async () => {
    const a = await tenant('snap-bad');
    const b = await tenant('snap-other');
    const vmId = await vm(a.token);
    for (const name of ['', ' x', '-lead', 'a'.repeat(64), 'semi;colon', 42, null]) {
      const r = await api.call('POST', `/v1/vms/${vmId}/snapshots`, { token: a.token, body: { name } });
      assert.deepEqual([r.status, r.body.code], [400, 'validation_failed'], JSON.stringify(name));
    }
    await snapshot(a.token, vmId, 'one');
    const taken = await api.call('POST', `/v1/vms/${vmId}/snapshots`, { token: a.token, body: { name: 'ONE' } });
    assert.deepEqual([taken.status, taken.body.code, taken.body.kind], [409, 'name_taken', 'snapshot']);
    const theirs = await api.call('POST', `/v1/vms/${vmId}/snapshots`, { token: b.token, body: { name: 'x' } });
    assert.deepEqual([theirs.status, theirs.body.code], [404, 'not_found']);
    assert.equal((await api.call('GET', `/v1/vms/${vmId}/snapshots`, { token: b.token })).status, 404);
    const list = await api.call('GET', `/v1/vms/${vmId}/snapshots`, { token: a.token });
    assert.deepEqual(
      list.body.items.map((x: { name: string }) => x.name),
      ['one'],
    );
    await db.query(`UPDATE vms SET status = 'deleting' WHERE id = $1`, [vmId]);
    const gone = await api.call('POST', `/v1/vms/${vmId}/snapshots`, { token: a.token, body: { name: 'two' } });
    assert.deepEqual([gone.status, gone.body.code], [409, 'invalid_state']);
    assert.deepEqual((await used(a.token)).snapshots, 1, 'refused requests charge nothing');
  });

  test(`the quota and the per-VM cap hold: 409 quota_exceeded, 409 snapshot_limit`, async () => {
    const a = await tenant('snap-quota', { snapshots: 1 });
    const vmId = await vm(a.token);
    await snapshot(a.token, vmId, 's0');
    const over = await api.call('POST', `/v1/vms/${vmId}/snapshots`, { token: a.token, body: { name: 's1' } });
    assert.deepEqual([over.status, over.body.code, over.body.resource], [409, 'quota_exceeded', 'snapshots']);
    const open = { vms: null, vcpus: null, memoryMiB: null, diskGiB: null, networks: null, snapshots: null };
    assert.equal((await api.call('PUT', `/v1/tenants/${a.id}/quota`, { body: open })).status, 200);
    for (let i = 1; i < 10; i++) await snapshot(a.token, vmId, `s${i}`);
    const capped = await api.call('POST', `/v1/vms/${vmId}/snapshots`, { token: a.token, body: { name: 's10' } });
    assert.deepEqual([capped.status, capped.body.code, capped.body.limit], [409, 'snapshot_limit', 10]);
  });
});

describe('POST /v1/snapshots/:id/revert', () => {
  test("after a resize, a revert brings the snapshot's sizes back to the row and the quota at once, as a resize would", async () => {
    const a = await tenant('snap-revert');
    const vmId = await vm(a.token);
    const snapId = await snapshot(a.token, vmId);
    const resized = await api.call('PATCH', `/v1/vms/${vmId}`, { token: a.token, body: { flavorId: big } });
    assert.equal(resized.status, 202, JSON.stringify(resized.body));
    await done(resized.body.operation.id);
    assert.deepEqual([(await used(a.token)).vcpus, (await used(a.token)).diskGiB], [4, 6]);

    const r = await api.call('POST', `/v1/snapshots/${snapId}/revert`, { token: a.token });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual([r.body.operation.kind, r.body.operation.resourceId, r.body.snapshot.status], ['snapshot.revert', vmId, 'reverting']);
    assert.deepEqual([r.body.vm.vcpus, r.body.vm.memoryMiB, r.body.vm.diskGiB, r.body.vm.flavorId], [1, 512, 4, small]);
    const u = await used(a.token);
    assert.deepEqual([u.vcpus, u.memoryMiB, u.diskGiB], [1, 512, 4], 'the shrink back is given back at once');
    const [{ checkpoint }] = (await db.query(`SELECT checkpoint FROM operations WHERE id = $1`, [r.body.operation.id])).rows;
    assert.deepEqual(
      [checkpoint.snapshotId, checkpoint.previous.vcpus, checkpoint.previous.flavorId],
      [snapId, 4, big],
      'what a failure goes back to',
    );

    const again = await api.call('POST', `/v1/snapshots/${snapId}/revert`, { token: a.token });
    assert.deepEqual([again.status, again.body.code], [409, 'invalid_state']);
    const other = await snapshot(a.token, vmId, 'other').catch((e: unknown) => e);
    assert.ok(other instanceof Error, 'a snapshot while the revert runs on the VM is refused');
    const del = await api.call('DELETE', `/v1/snapshots/${snapId}`, { token: a.token });
    assert.deepEqual([del.status, del.body.code, del.body.usedBy.operations], [409, 'in_use', [r.body.operation.id]]);
    const resize = await api.call('PATCH', `/v1/vms/${vmId}`, { token: a.token, body: { flavorId: big } });
    assert.deepEqual([resize.status, resize.body.code], [409, 'operation_in_progress']);
  });

  test('a revert beyond the quota is 409 quota_exceeded; a volume snapshot is restored, not reverted (409 invalid_state)', async () => {
    const a = await tenant('snap-revert-quota', { vcpus: 4 });
    const vmId = await vm(a.token);
    await db.query(`UPDATE vms SET vcpus = 1 WHERE id = $1`, [vmId]);
    const snapId = await snapshot(a.token, vmId);
    await db.query(`UPDATE snapshots SET vcpus = 8 WHERE id = $1`, [snapId]);
    const over = await api.call('POST', `/v1/snapshots/${snapId}/revert`, { token: a.token });
    assert.deepEqual([over.status, over.body.code, over.body.resource], [409, 'quota_exceeded', 'vcpus']);
    assert.equal((await api.call('GET', `/v1/snapshots/${snapId}`, { token: a.token })).body.status, 'available', 'nothing changed');

    const vol = await api.call('POST', '/v1/volumes', { token: a.token, body: { name: 'data', sizeGiB: 3 } });
    await db.query(`UPDATE volumes SET status = 'available', presence = 'present', xapi_uuid = gen_random_uuid()::text WHERE id = $1`, [
      vol.body.volume.id,
    ]);
    await done(vol.body.operation.id);
    const vs = await api.call('POST', `/v1/volumes/${vol.body.volume.id}/snapshots`, { token: a.token, body: { name: 'v1' } });
    assert.equal(vs.status, 202, JSON.stringify(vs.body));
    assert.deepEqual([vs.body.snapshot.kind, vs.body.snapshot.sizeGiB, vs.body.operation.resourceId], ['volume', 3, vol.body.volume.id]);
    await db.query(`UPDATE snapshots SET status = 'available' WHERE id = $1`, [vs.body.snapshot.id]);
    await done(vs.body.operation.id);
    const revert = await api.call('POST', `/v1/snapshots/${vs.body.snapshot.id}/revert`, { token: a.token });
    assert.deepEqual([revert.status, revert.body.code], [409, 'invalid_state']);
  });
});

describe('DELETE /v1/snapshots/:id', () => {
  test('202 deleting; a second delete is 409 operation_in_progress; another tenant gets 404', async () => {
    const a = await tenant('snap-delete');
    const b = await tenant('snap-delete-b');
    const vmId = await vm(a.token);
    const snapId = await snapshot(a.token, vmId);
    assert.equal((await api.call('DELETE', `/v1/snapshots/${snapId}`, { token: b.token })).status, 404);
    const r = await api.call('DELETE', `/v1/snapshots/${snapId}`, { token: a.token });
    assert.deepEqual(
      [r.status, r.body.snapshot.status, r.body.operation.kind, r.body.operation.resourceId],
      [202, 'deleting', 'snapshot.delete', snapId],
    );
    const again = await api.call('DELETE', `/v1/snapshots/${snapId}`, { token: a.token });
    assert.deepEqual([again.status, again.body.code, again.body.operationId], [409, 'operation_in_progress', r.body.operation.id]);
    assert.equal((await used(a.token)).snapshots, 1, 'held until the pool no longer has it');
  });
});

describe('POST /v1/volumes with snapshotId (restore)', () => {
  test("a volume's available snapshot restores into a new volume no smaller; a VM's, a pending one or another tenant's is refused", async () => {
    const a = await tenant('snap-restore');
    const b = await tenant('snap-restore-b');
    const vol = await api.call('POST', '/v1/volumes', { token: a.token, body: { name: 'src', sizeGiB: 5 } });
    await db.query(`UPDATE volumes SET status = 'available', presence = 'present', xapi_uuid = gen_random_uuid()::text WHERE id = $1`, [
      vol.body.volume.id,
    ]);
    await done(vol.body.operation.id);
    const taken = await api.call('POST', `/v1/volumes/${vol.body.volume.id}/snapshots`, { token: a.token, body: { name: 's' } });
    const snapId = taken.body.snapshot.id as string;
    const early = await api.call('POST', '/v1/volumes', { token: a.token, body: { name: 'copy', sizeGiB: 5, snapshotId: snapId } });
    assert.deepEqual([early.status, early.body.code], [409, 'invalid_state'], 'still pending');
    await db.query(`UPDATE snapshots SET status = 'available', presence = 'present' WHERE id = $1`, [snapId]);
    await done(taken.body.operation.id);

    const small = await api.call('POST', '/v1/volumes', { token: a.token, body: { name: 'copy', sizeGiB: 4, snapshotId: snapId } });
    assert.deepEqual([small.status, small.body.code, small.body.snapshotSizeGiB], [422, 'volume_shrink', 5]);
    const theirs = await api.call('POST', '/v1/volumes', { token: b.token, body: { name: 'copy', sizeGiB: 5, snapshotId: snapId } });
    assert.deepEqual([theirs.status, theirs.body.code], [404, 'not_found']);
    const vmSnap = await snapshot(a.token, await vm(a.token));
    const ofVm = await api.call('POST', '/v1/volumes', { token: a.token, body: { name: 'copy', sizeGiB: 5, snapshotId: vmSnap } });
    assert.deepEqual([ofVm.status, ofVm.body.code], [409, 'invalid_state']);

    const r = await api.call('POST', '/v1/volumes', { token: a.token, body: { name: 'copy', sizeGiB: 8, snapshotId: snapId } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual([r.body.volume.sourceSnapshotId, r.body.volume.sizeGiB], [snapId, 8]);
    assert.equal((await used(a.token)).volumeGiB, 13, 'a restored volume is charged as any volume');
    // the snapshot stays until the copy is made
    const del = await api.call('DELETE', `/v1/snapshots/${snapId}`, { token: a.token });
    assert.deepEqual([del.status, del.body.code, del.body.usedBy.volumes], [409, 'in_use', [r.body.volume.id]]);
    await done(r.body.operation.id);
    await db.query(`UPDATE volumes SET status = 'available' WHERE id = $1`, [r.body.volume.id]);
    assert.equal((await api.call('DELETE', `/v1/snapshots/${snapId}`, { token: a.token })).status, 202);
  });
});

describe('a tenant with snapshots', () => {
  test('cannot be deleted while a snapshot is held, even one whose volume is gone (its VDI would be left behind)', async () => {
    const a = await tenant('snap-tenant');
    const vol = await api.call('POST', '/v1/volumes', { token: a.token, body: { name: 'src', sizeGiB: 1 } });
    await done(vol.body.operation.id);
    const taken = await api.call('POST', `/v1/volumes/${vol.body.volume.id}/snapshots`, { token: a.token, body: { name: 's' } });
    assert.equal(taken.status, 409, 'a pending volume cannot be snapshotted');
    await db.query(`UPDATE volumes SET status = 'available', presence = 'present' WHERE id = $1`, [vol.body.volume.id]);
    const ok = await api.call('POST', `/v1/volumes/${vol.body.volume.id}/snapshots`, { token: a.token, body: { name: 's' } });
    await db.query(`UPDATE snapshots SET status = 'available', presence = 'present' WHERE id = $1`, [ok.body.snapshot.id]);
    await done(ok.body.operation.id);
    await db.query(`UPDATE volumes SET status = 'deleted', presence = 'released' WHERE id = $1`, [vol.body.volume.id]);
    const del = await api.call('DELETE', `/v1/tenants/${a.id}`);
    assert.deepEqual([del.status, del.body.code, del.body.usedBy], [409, 'in_use', { vms: 0, networks: 0, volumes: 0, snapshots: 1, images: 0 }]);
  });
});
