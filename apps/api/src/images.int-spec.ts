// Tenants' own images with the real API and Postgres: private visibility, uploads spooled and verified (sha256,
// truncation, format), imageGiB charged only for an accepted upload, images of stopped VMs. No worker runs here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startApi, tenantWithKey, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let db: pg.Pool;
let spool: string;
let flavorId: string;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const create = (token: string, name: string) => api.call('POST', '/v1/images', { token, body: { name } });

/** PUT /v1/images/:id/file with raw bytes (Buffer bodies: fetch sends them as they are). */
async function upload(token: string, id: string, bytes: Buffer, query = '', headers: Record<string, string> = {}) {
  const res = await fetch(`${api.url}/v1/images/${id}/file${query}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', ...headers },
    body: bytes,
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** Only the headers of an upload of `length` bytes: what the server answers before the body. */
function announce(token: string, id: string, length: number): Promise<{ status: number; body: Record<string, any> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(`${api.url}/v1/images/${id}/file`), {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(length) },
    });
    req.on('error', reject);
    req.on('response', (r) => {
      let text = '';
      r.on('data', (d: Buffer) => (text += d.toString()));
      r.on('end', () => (resolve({ status: r.statusCode ?? 0, body: JSON.parse(text) as Record<string, any> }), req.destroy()));
    });
    req.flushHeaders();
  });
}

/** A body that stops after `sent` of `length` bytes: the client goes away mid-upload. */
function truncated(token: string, id: string, length: number, sent: number): Promise<void> {
  return new Promise((resolve) => {
    const url = new URL(`${api.url}/v1/images/${id}/file`);
    const req = http.request(url, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(length) },
    });
    req.on('error', () => resolve());
    req.on('response', (r) => (r.resume(), resolve()));
    req.write(randomBytes(sent), () => setTimeout(() => (req.destroy(), resolve()), 200));
  });
}

const spooled = async (id: string) => (await readdir(spool).catch(() => [])).filter((n) => n.startsWith(id));
const used = async (token: string) => (await api.call('GET', '/v1/quota', { token })).body.used.imageGiB as number;

before(async () => {
  spool = await mkdtemp(join(tmpdir(), 'img-spool-'));
  api = await startApi({ IMAGE_SPOOL_DIR: spool });
  db = new pg.Pool({ connectionString: api.db.url, max: 4 });
  flavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'img-small', vcpus: 1, memoryMiB: 256, diskGiB: 1 } })).body.id;
});
after(async () => {
  await db?.end();
  await api?.close();
  await rm(spool, { recursive: true, force: true });
});

describe('a private image', () => {
  test("is its tenant's alone: 404 to another tenant, absent from its lists, seen by operators", async () => {
    const [a, b] = [await tenantWithKey(api, 'img-a'), await tenantWithKey(api, 'img-b')];
    const r = await create(a.token, 'my-debian');
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(
      [r.body.visibility, r.body.status, r.body.source, r.body.ownerTenantId, r.body.sizeGiB],
      ['private', 'queued', 'upload', a.id, 0],
    );
    assert.equal((await api.call('GET', `/v1/images/${r.body.id}`, { token: a.token })).status, 200);
    const theirs = await api.call('GET', `/v1/images/${r.body.id}`, { token: b.token });
    assert.deepEqual([theirs.status, theirs.body.code], [404, 'not_found']);
    const listed = (await api.call('GET', '/v1/images', { token: b.token })).body.items.map((i: { id: string }) => i.id);
    assert.ok(!listed.includes(r.body.id));
    assert.equal((await api.call('GET', `/v1/images/${r.body.id}`)).body.ownerTenantId, a.id);
    for (const [method, path] of [
      ['PUT', `/v1/images/${r.body.id}/file`],
      ['GET', `/v1/images/${r.body.id}/file`],
      ['DELETE', `/v1/images/${r.body.id}`],
    ]) {
      const res = method === 'PUT' ? await upload(b.token, r.body.id, Buffer.alloc(512)) : await api.call(method, path, { token: b.token });
      assert.equal(res.status, 404, `${method} ${path}`);
    }
    // The same name is another tenant's to take; its own second one is name_taken.
    assert.equal((await create(b.token, 'my-debian')).status, 201);
    assert.equal((await create(a.token, 'my-debian')).body.code, 'name_taken');
  });

  test('cannot be made public by an operator, and boots nothing while it has no disk', async () => {
    const a = await tenantWithKey(api, 'img-c');
    const id = (await create(a.token, 'not-yet')).body.id;
    const patch = await api.call('PATCH', `/v1/images/${id}`, { body: { visibility: 'public' } });
    assert.equal(patch.status, 400, JSON.stringify(patch.body));
    const vm = await api.call('POST', '/v1/vms', { token: a.token, body: { name: 'web', flavorId, imageId: id } });
    assert.deepEqual([vm.status, vm.body.code], [422, 'image_not_ready']);
  });
});

describe('PUT /v1/images/:id/file', () => {
  test('accepts a raw upload whose sha256 matches: the image is saving, imageGiB charged, the file spooled for its operation', async () => {
    const a = await tenantWithKey(api, 'img-up');
    const id = (await create(a.token, 'raw-disk')).body.id;
    const bytes = randomBytes(3 * 1024 * 1024);
    const r = await upload(a.token, id, bytes, `?sha256=${sha(bytes)}`);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual(
      [r.body.image.status, r.body.image.sizeBytes, r.body.image.sizeGiB, r.body.image.diskFormat],
      ['saving', bytes.length, 1, 'raw'],
    );
    assert.equal(r.body.image.sha256, sha(bytes));
    assert.equal(r.body.operation.kind, 'image.upload');
    assert.equal(await used(a.token), 1);
    assert.deepEqual(await spooled(id), [`${id}.${r.body.operation.id}`]);
    // One upload per image.
    const again = await upload(a.token, id, bytes);
    assert.deepEqual([again.status, again.body.code, again.body.currentStatus], [409, 'invalid_state', 'saving']);
    const recount = await api.call('POST', `/v1/tenants/${a.id}/quota/recount`);
    assert.equal(recount.body.drift.imageGiB, 0, JSON.stringify(recount.body));
  });

  test('a sha256 mismatch (query or Content-Digest) is 422 and keeps nothing', async () => {
    const a = await tenantWithKey(api, 'img-sha');
    const id = (await create(a.token, 'bad-sum')).body.id;
    const bytes = randomBytes(1024 * 1024);
    const wrong = sha(Buffer.from('something else'));
    const q = await upload(a.token, id, bytes, `?sha256=${wrong}`);
    assert.deepEqual([q.status, q.body.code, q.body.expected, q.body.actual], [422, 'checksum_mismatch', wrong, sha(bytes)]);
    const digest = `sha-256=:${Buffer.from(wrong, 'hex').toString('base64')}:`;
    const h = await upload(a.token, id, bytes, '', { 'content-digest': digest });
    assert.deepEqual([h.status, h.body.code], [422, 'checksum_mismatch']);
    assert.deepEqual(await spooled(id), []);
    assert.equal(await used(a.token), 0);
    assert.equal((await api.call('GET', `/v1/images/${id}`, { token: a.token })).body.status, 'queued');
    // Still queued: the right bytes are taken afterwards.
    assert.equal(
      (await upload(a.token, id, bytes, '', { 'content-digest': `sha-256=:${createHash('sha256').update(bytes).digest('base64')}:` })).status,
      202,
    );
  });

  test('an upload that stops halfway keeps nothing and leaves the image queued', async () => {
    const a = await tenantWithKey(api, 'img-cut');
    const id = (await create(a.token, 'cut-off')).body.id;
    await truncated(a.token, id, 8 * 1024 * 1024, 1024 * 1024);
    for (let i = 0; i < 50 && (await spooled(id)).length > 0; i++) await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(await spooled(id), []);
    assert.equal(await used(a.token), 0);
    assert.equal((await api.call('GET', `/v1/images/${id}`, { token: a.token })).body.status, 'queued');
  });

  test('refuses what the quota cannot hold before reading it, and bytes that are not their format', async () => {
    const a = await tenantWithKey(api, 'img-q');
    const limits = { vms: null, vcpus: null, memoryMiB: null, diskGiB: null, networks: null, imageGiB: 1 };
    assert.equal((await api.call('PUT', `/v1/tenants/${a.id}/quota`, { body: limits })).status, 200);
    const id = (await create(a.token, 'too-big')).body.id;
    const big = await announce(a.token, id, 1024 ** 3 + 512);
    assert.deepEqual([big.status, big.body.code, big.body.resource], [409, 'quota_exceeded', 'imageGiB']);
    const vhd = await upload(a.token, id, randomBytes(4096), '?format=vhd');
    assert.deepEqual([vhd.status, vhd.body.code], [422, 'image_invalid']);
    const qcow = Buffer.alloc(4096);
    qcow.write('QFI\xfb', 0, 'latin1');
    qcow.writeUInt32BE(3, 4);
    qcow.writeBigUInt64BE(1024n, 8); // a backing file
    const backed = await upload(a.token, id, qcow);
    assert.deepEqual([backed.status, backed.body.code], [422, 'image_invalid'], JSON.stringify(backed.body));
    assert.match(backed.body.detail, /backing file/);
    assert.deepEqual(await spooled(id), []);
    assert.equal(await used(a.token), 0);
  });

  test('a qcow2 is sized from its header, a VHD from its footer', async () => {
    const a = await tenantWithKey(api, 'img-fmt');
    const qcow = Buffer.alloc(4096);
    qcow.write('QFI\xfb', 0, 'latin1');
    qcow.writeUInt32BE(3, 4);
    qcow.writeBigUInt64BE(BigInt(5 * 1024 ** 3), 24);
    const q = await upload(a.token, (await create(a.token, 'q')).body.id, qcow);
    assert.equal(q.status, 202, JSON.stringify(q.body));
    assert.deepEqual([q.body.image.diskFormat, q.body.image.sizeBytes, q.body.image.sizeGiB], ['qcow2', 5 * 1024 ** 3, 5]);
    assert.equal(await used(a.token), 5);
  });
});

describe('POST /v1/vms/:id/image', () => {
  test('makes a saving image of a stopped VM, charged at its disk size; a running VM is 409', async () => {
    const a = await tenantWithKey(api, 'img-vm');
    const imageId = (await api.call('POST', '/v1/images', { body: { name: 'img-vm-debian', template: 'Debian Bookworm 12' } })).body.id;
    const vm = await api.call('POST', '/v1/vms', { token: a.token, body: { name: 'web', flavorId, imageId } });
    await db.query(`UPDATE vms SET status = 'running', presence = 'present', xapi_uuid = gen_random_uuid()::text WHERE id = $1`, [vm.body.vm.id]);
    await db.query(`UPDATE operations SET status = 'succeeded', finished_at = now() WHERE id = $1`, [vm.body.operation.id]);
    const running = await api.call('POST', `/v1/vms/${vm.body.vm.id}/image`, { token: a.token, body: { name: 'golden' } });
    assert.deepEqual([running.status, running.body.code], [409, 'invalid_state']);
    await db.query(`UPDATE vms SET status = 'stopped' WHERE id = $1`, [vm.body.vm.id]);
    const r = await api.call('POST', `/v1/vms/${vm.body.vm.id}/image`, { token: a.token, body: { name: 'golden' } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual([r.body.image.status, r.body.image.source, r.body.image.sizeGiB, r.body.operation.kind], ['saving', 'vm', 1, 'image.capture']);
    assert.equal(r.body.operation.resourceId, vm.body.vm.id);
    assert.equal(await used(a.token), 1);
    // The VM is busy while its disk is copied.
    const start = await api.call('POST', `/v1/vms/${vm.body.vm.id}/actions`, { token: a.token, body: { action: 'start' } });
    assert.deepEqual([start.status, start.body.code], [409, 'operation_in_progress']);
  });
});

describe('DELETE /v1/images/:id', () => {
  test('an image without a disk goes at once (204) and holds nothing', async () => {
    const a = await tenantWithKey(api, 'img-del');
    const id = (await create(a.token, 'gone-soon')).body.id;
    const r = await api.call('DELETE', `/v1/images/${id}`, { token: a.token });
    assert.equal(r.status, 204, JSON.stringify(r.body));
    assert.equal((await api.call('GET', `/v1/images/${id}`, { token: a.token })).body.status, 'deleted');
    const recount = await api.call('POST', `/v1/tenants/${a.id}/quota/recount`);
    assert.equal(recount.body.drift.imageGiB, 0, JSON.stringify(recount.body));
  });
});

describe('a tenant with images', () => {
  test('cannot be deleted while an image holds a disk (it would be left on the pool, imageGiB charged); queued ones go with it', async () => {
    const a = await tenantWithKey(api, 'img-tenant-delete');
    const queued = (await create(a.token, 'never-uploaded')).body.id;
    const bytes = randomBytes(4096);
    const withDisk = (await create(a.token, 'uploaded')).body.id;
    assert.equal((await upload(a.token, withDisk, bytes, `?sha256=${sha(bytes)}`)).status, 202);
    const refused = await api.call('DELETE', `/v1/tenants/${a.id}`);
    assert.deepEqual(
      [refused.status, refused.body.code, refused.body.usedBy],
      [409, 'in_use', { vms: 0, networks: 0, volumes: 0, snapshots: 0, images: 1 }],
    );
    await db.query(`UPDATE images SET status = 'deleted', presence = 'released' WHERE id = $1`, [withDisk]);
    assert.equal((await api.call('DELETE', `/v1/tenants/${a.id}`)).status, 204);
    const { rows } = await db.query(`SELECT status, presence FROM images WHERE id = $1`, [queued]);
    assert.deepEqual(rows[0], { status: 'deleted', presence: 'released' }, 'the queued image went with its tenant');
    const late = await upload(a.token, queued, bytes);
    assert.equal(late.status, 401, 'the tenant keys are revoked');
  });
});
