// Suspending a tenant (issue 14): its keys read, every change is 403 tenant_suspended, operators still act on it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startApi, type ApiHarness } from './testing/api-harness.js';

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

test('a suspended tenant reads everything, changes nothing (403 tenant_suspended), and is reinstated with false', async () => {
  const t = (await api.call('POST', '/v1/tenants', { body: { name: 'suspended-co' } })).body;
  assert.deepEqual([t.suspended, t.suspendedAt], [false, null]);
  const admin = (await api.call('POST', `/v1/tenants/${t.id}/api-keys`, { body: { name: 'adm', role: 'admin' } })).body;
  const member = (await api.call('POST', `/v1/tenants/${t.id}/api-keys`, { body: { name: 'mem', role: 'member' } })).body;
  const flavor = (await api.call('POST', '/v1/flavors', { body: { name: 'sus-small', vcpus: 1, memoryMiB: 512, diskGiB: 5 } })).body;
  const image = (await api.call('POST', '/v1/images', { body: { name: 'sus-deb', template: 'Debian Bookworm 12' } })).body;
  const vm = await api.call('POST', '/v1/vms', { token: admin.token, body: { name: 'keeps-running', flavorId: flavor.id, imageId: image.id } });
  assert.equal(vm.status, 202);
  // As the worker leaves it once created (none runs here): running on the pool.
  await db.query(`UPDATE operations SET status = 'succeeded' WHERE resource_id = $1`, [vm.body.vm.id]);
  await db.query(`UPDATE vms SET status = 'running', power_state = 'Running' WHERE id = $1`, [vm.body.vm.id]);

  const suspended = await api.call('PATCH', `/v1/tenants/${t.id}`, { body: { suspended: true } });
  assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
  assert.equal(suspended.body.suspended, true);
  assert.equal(suspended.body.name, 'suspended-co', 'the name is left alone');
  assert.ok(suspended.body.suspendedAt);
  assert.equal((await api.call('GET', `/v1/tenants/${t.id}`)).body.suspended, true, 'shown on the tenant view');

  const changes: [string, string, unknown][] = [
    ['POST', '/v1/vms', { name: 'more', flavorId: flavor.id, imageId: image.id }],
    ['POST', `/v1/vms/${vm.body.vm.id}/actions`, { action: 'stop' }],
    ['DELETE', `/v1/vms/${vm.body.vm.id}`, undefined],
    ['POST', '/v1/networks', { name: 'n', cidr: '10.7.0.0/24' }],
    ['POST', `/v1/tenants/${t.id}/api-keys`, { name: 'another', role: 'member' }],
    ['DELETE', `/v1/tenants/${t.id}/api-keys/${member.id}`, undefined],
  ];
  for (const token of [admin.token, member.token]) {
    for (const [method, path, body] of changes) {
      const r = await api.call(method, path, { token, body });
      assert.equal(r.status, 403, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, 'tenant_suspended');
    }
  }
  for (const path of ['/v1/vms', `/v1/vms/${vm.body.vm.id}`, '/v1/quota', '/v1/operations', '/v1/networks']) {
    const r = await api.call('GET', path, { token: member.token });
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
  }
  const seen = (await api.call('GET', `/v1/vms/${vm.body.vm.id}`, { token: admin.token })).body;
  assert.equal(seen.status, 'running', 'its VMs keep running');
  const [row] = (await db.query(`SELECT status, power_state FROM vms WHERE id = $1`, [vm.body.vm.id])).rows;
  assert.deepEqual([row.status, row.power_state], ['running', 'Running']);
  assert.equal((await db.query(`SELECT count(*)::int AS n FROM operations WHERE resource_id = $1`, [vm.body.vm.id])).rows[0].n, 1);

  // The operator still acts on it (to stop what must stop).
  const stop = await api.call('POST', `/v1/vms/${vm.body.vm.id}/actions?tenantId=${t.id}`, { body: { action: 'stop' } });
  assert.equal(stop.status, 202, JSON.stringify(stop.body));

  const back = await api.call('PATCH', `/v1/tenants/${t.id}`, { body: { suspended: false } });
  assert.deepEqual([back.status, back.body.suspended, back.body.suspendedAt], [200, false, null]);
  const net = await api.call('POST', '/v1/networks', { token: member.token, body: { name: 'n', cidr: '10.7.0.0/24' } });
  assert.equal(net.status, 202, JSON.stringify(net.body));
});

test('PATCH takes a name, suspended, or both; nothing, or a non-boolean, is a 400 naming the field', async () => {
  const t = (await api.call('POST', '/v1/tenants', { body: { name: 'patch-co' } })).body;
  const both = await api.call('PATCH', `/v1/tenants/${t.id}`, { body: { name: 'patch-co-2', suspended: true } });
  assert.deepEqual([both.status, both.body.name, both.body.suspended], [200, 'patch-co-2', true]);
  const again = await api.call('PATCH', `/v1/tenants/${t.id}`, { body: { suspended: true } });
  assert.equal(again.body.suspendedAt, both.body.suspendedAt, 'suspending again keeps the first time');
  for (const [body, path] of [
    [{}, 'name'],
    [{ suspended: 'yes' }, 'suspended'],
    [{ suspended: null }, 'suspended'],
  ] as const) {
    const r = await api.call('PATCH', `/v1/tenants/${t.id}`, { body });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.ok(
      r.body.errors.some((e: { path: string }) => e.path === path),
      JSON.stringify(r.body.errors),
    );
  }
});
