// Every 409 says which conflict it is, with what the caller needs to act: the code, and the names, ids or state in the way.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startApi, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let db: pg.Client;
before(async () => {
  api = await startApi({ POOL_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
  db = new pg.Client({ connectionString: api.db.url });
  await db.connect();
});
after(async () => {
  await db?.end();
  await api?.close();
});

test('a name already used is 409 name_taken naming the kind and the name, for every named resource', async () => {
  const first = { flavor: { name: 'nt-small', vcpus: 1, memoryMiB: 512, diskGiB: 10 }, image: { name: 'nt-debian', template: 'Debian Bookworm 12' } };
  const cases: [string, string, Record<string, unknown>][] = [
    ['/v1/flavors', 'flavor', first.flavor],
    ['/v1/images', 'image', first.image],
    ['/v1/tenants', 'tenant', { name: 'nt-co' }],
    ['/v1/pools', 'pool', { name: 'nt-pool', url: 'http://127.0.0.1:9', username: 'root', password: 'x' }],
  ];
  for (const [path, kind, body] of cases) {
    assert.ok((await api.call('POST', path, { body })).status < 300, path);
    const again = await api.call('POST', path, { body });
    assert.deepEqual([again.status, again.body.code, again.body.kind, again.body.name], [409, 'name_taken', kind, body.name], path);
  }
  const other = await api.call('POST', '/v1/tenants', { body: { name: 'nt-other' } });
  const rename = await api.call('PATCH', `/v1/tenants/${other.body.id}`, { body: { name: 'NT-co' } });
  assert.deepEqual([rename.status, rename.body.code, rename.body.kind], [409, 'name_taken', 'tenant']);
});

test('a second operation on a busy resource is 409 operation_in_progress naming the operation in the way', async () => {
  const tenant = (await api.call('POST', '/v1/tenants', { body: { name: 'busy-co' } })).body;
  const token = (await api.call('POST', `/v1/tenants/${tenant.id}/api-keys`, { body: { name: 'a', role: 'admin' } })).body.token;
  const flavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'busy-small', vcpus: 1, memoryMiB: 512, diskGiB: 10 } })).body.id;
  const imageId = (await api.call('POST', '/v1/images', { body: { name: 'busy-img', template: 'Debian Bookworm 12' } })).body.id;
  const created = (await api.call('POST', '/v1/vms', { token, body: { name: 'busy', flavorId, imageId } })).body;
  // Running as far as the row says, while its create is still queued (no worker here).
  await db.query(`UPDATE vms SET status = 'running' WHERE id = $1`, [created.vm.id]);
  const stop = await api.call('POST', `/v1/vms/${created.vm.id}/actions`, { token, body: { action: 'stop' } });
  assert.deepEqual(
    [stop.status, stop.body.code, stop.body.operationId, stop.body.operationKind],
    [409, 'operation_in_progress', created.operation.id, 'vm.create'],
  );
  const del = await api.call('DELETE', `/v1/vms/${created.vm.id}`, { token });
  assert.deepEqual([del.body.code, del.body.operationId], ['operation_in_progress', created.operation.id]);
  // The refusal rolled back only the operation: the VM row is as it was.
  assert.equal((await db.query(`SELECT status FROM vms WHERE id = $1`, [created.vm.id])).rows[0].status, 'running');
});
