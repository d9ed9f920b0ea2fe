// /v1/vms/:id/nics with the real API and Postgres; no worker runs, so outcomes are recorded as it would record them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startApi, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let db: pg.Pool;
let flavorId: string;
let imageId: string;

async function tenant(name: string): Promise<{ id: string; token: string }> {
  const t = await api.call('POST', '/v1/tenants', { body: { name } });
  const token = (await api.call('POST', `/v1/tenants/${t.body.id}/api-keys`, { body: { name: 'a', role: 'admin' } })).body.token;
  return { id: t.body.id, token };
}
const done = (operationId: string) => db.query(`UPDATE operations SET status = 'succeeded', finished_at = now() WHERE id = $1`, [operationId]);

async function network(token: string, cidr: string): Promise<string> {
  const r = await api.call('POST', '/v1/networks', { token, body: { name: `n-${randomUUID().slice(0, 6)}`, cidr } });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await db.query(`UPDATE networks SET status = 'active' WHERE id = $1`, [r.body.network.id]);
  await done(r.body.operation.id);
  return r.body.network.id;
}

async function vm(token: string, networkIds: string[], status: 'running' | 'stopped' | 'error' = 'stopped'): Promise<string> {
  const r = await api.call('POST', '/v1/vms', { token, body: { name: 'web', flavorId, imageId, networkIds } });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await db.query(`UPDATE vms SET status = $2, xapi_uuid = gen_random_uuid()::text WHERE id = $1`, [r.body.vm.id, status]);
  await done(r.body.operation.id);
  return r.body.vm.id;
}

/** What the worker's success records: the NIC attached, the operation done. */
async function added(r: { body: { nic: { id: string }; operation: { id: string } } }): Promise<void> {
  await db.query(`UPDATE vm_nics SET status = 'attached' WHERE id = $1`, [r.body.nic.id]);
  await done(r.body.operation.id);
}

const addNic = (token: string, vmId: string, networkId: string) => api.call('POST', `/v1/vms/${vmId}/nics`, { token, body: { networkId } });

before(async () => {
  api = await startApi();
  db = new pg.Pool({ connectionString: api.db.url, max: 4 });
  flavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'nic-small', vcpus: 1, memoryMiB: 256, diskGiB: 1 } })).body.id;
  imageId = (await api.call('POST', '/v1/images', { body: { name: 'nic-debian', template: 'Debian Bookworm 12' } })).body.id;
});
after(async () => {
  await db?.end();
  await api?.close();
});

describe('POST /v1/vms/:id/nics', () => {
  test('202 with the NIC (attaching, next device, lowest free address, its own id) and vm.add-nic; GET shows it with the VM', async () => {
    const a = await tenant('nic-add');
    const [front, back] = [await network(a.token, '10.71.0.0/24'), await network(a.token, '10.72.0.0/24')];
    const id = await vm(a.token, [front]);
    const r = await addNic(a.token, id, back);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.headers.get('location'), `/v1/operations/${r.body.operation.id}`);
    assert.deepEqual([r.body.nic.status, r.body.nic.device, r.body.nic.ip, r.body.nic.networkId], ['attaching', 1, '10.72.0.2', back]);
    assert.match(r.body.nic.id, /^[0-9a-f-]{36}$/);
    assert.match(r.body.nic.mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    assert.deepEqual([r.body.operation.kind, r.body.operation.resourceType, r.body.operation.resourceId], ['vm.add-nic', 'vm', id]);
    const list = await api.call('GET', `/v1/vms/${id}/nics`, { token: a.token });
    assert.deepEqual(
      list.body.items.map((n: { device: number; status: string }) => [n.device, n.status]),
      [
        [0, 'attached'],
        [1, 'attaching'],
      ],
    );
    assert.equal(list.body.nextCursor, null);
    const shown = (await api.call('GET', `/v1/vms/${id}`, { token: a.token })).body.nics;
    assert.deepEqual(shown, list.body.items, 'GET /v1/vms/:id shows the same NICs, ids included');
  });

  test('refusals name their conflict: another operation, the same network twice, a VM not running or stopped, 7 NICs', async () => {
    const a = await tenant('nic-refuse');
    const nets = [];
    for (let i = 0; i < 8; i++) nets.push(await network(a.token, `10.80.${i}.0/24`));
    const id = await vm(a.token, [nets[0]]);
    const first = await addNic(a.token, id, nets[1]);
    const busy = await addNic(a.token, id, nets[2]);
    assert.deepEqual([busy.status, busy.body.code], [409, 'operation_in_progress']);
    await added(first);
    const twice = await addNic(a.token, id, nets[1]);
    assert.deepEqual([twice.status, twice.body.code, twice.body.nicId], [409, 'already_attached', first.body.nic.id]);
    for (let i = 2; i < 7; i++) await added(await addNic(a.token, id, nets[i]));
    const full = await addNic(a.token, id, nets[7]);
    assert.deepEqual([full.status, full.body.code, full.body.limit], [409, 'nic_limit_reached', 7]);
    const broken = await vm(a.token, [], 'error');
    const bad = await addNic(a.token, broken, nets[7]);
    assert.deepEqual([bad.status, bad.body.code, bad.body.currentStatus], [409, 'invalid_state', 'error']);
  });

  test('bad input is a 4xx problem: no such network (400 on networkId), not a uuid, unknown VM (404), a full network (409 network_full)', async () => {
    const a = await tenant('nic-bad');
    const b = await tenant('nic-other');
    const net = await network(a.token, '10.90.0.0/29');
    const theirs = await network(b.token, '10.91.0.0/24');
    const id = await vm(a.token, []);
    const foreign = await addNic(a.token, id, theirs);
    assert.deepEqual([foreign.status, foreign.body.code, foreign.body.errors[0].path], [400, 'validation_failed', 'networkId']);
    const junk = await addNic(a.token, id, 'not-a-uuid');
    assert.equal(junk.status, 400);
    const nobody = await addNic(a.token, randomUUID(), net);
    assert.deepEqual([nobody.status, nobody.body.code], [404, 'not_found']);
    // A /29 holds five addresses: other VMs have them.
    for (let i = 0; i < 5; i++) await vm(a.token, [net]);
    const full = await addNic(a.token, id, net);
    assert.deepEqual([full.status, full.body.code], [409, 'network_full']);
    assert.deepEqual((await api.call('GET', `/v1/vms/${id}/nics`, { token: a.token })).body.items, [], 'nothing held');
  });
});

describe('DELETE /v1/vms/:id/nics/:nicId', () => {
  test('202: the NIC is detaching (its address held) with vm.remove-nic; once the worker is done it is gone and its address free', async () => {
    const a = await tenant('nic-del');
    const net = await network(a.token, '10.73.0.0/24');
    const id = await vm(a.token, [net]);
    const [nic] = (await api.call('GET', `/v1/vms/${id}/nics`, { token: a.token })).body.items;
    const r = await api.call('DELETE', `/v1/vms/${id}/nics/${nic.id}`, { token: a.token });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual([r.body.nic.id, r.body.nic.status, r.body.operation.kind], [nic.id, 'detaching', 'vm.remove-nic']);
    const again = await api.call('DELETE', `/v1/vms/${id}/nics/${nic.id}`, { token: a.token });
    assert.deepEqual([again.status, again.body.code], [409, 'operation_in_progress']);
    // the worker's success
    await db.query(`DELETE FROM vm_nics WHERE id = $1`, [nic.id]);
    await done(r.body.operation.id);
    const gone = await api.call('DELETE', `/v1/vms/${id}/nics/${nic.id}`, { token: a.token });
    assert.deepEqual([gone.status, gone.body.code], [404, 'not_found']);
    const other = await vm(a.token, [net]);
    assert.equal((await api.call('GET', `/v1/vms/${other}/nics`, { token: a.token })).body.items[0].ip, nic.ip, 'the address is free again');
  });

  test("another VM's NIC, or another tenant's VM, is 404", async () => {
    const a = await tenant('nic-del-iso');
    const b = await tenant('nic-del-iso-b');
    const net = await network(a.token, '10.74.0.0/24');
    const [one, two] = [await vm(a.token, [net]), await vm(a.token, [net])];
    const [nic] = (await api.call('GET', `/v1/vms/${one}/nics`, { token: a.token })).body.items;
    const wrongVm = await api.call('DELETE', `/v1/vms/${two}/nics/${nic.id}`, { token: a.token });
    assert.deepEqual([wrongVm.status, wrongVm.body.code], [404, 'not_found']);
    const wrongTenant = await api.call('DELETE', `/v1/vms/${one}/nics/${nic.id}`, { token: b.token });
    assert.deepEqual([wrongTenant.status, wrongTenant.body.code], [404, 'not_found']);
    assert.equal((await api.call('GET', `/v1/vms/${one}/nics`, { token: b.token })).status, 404);
  });
});
