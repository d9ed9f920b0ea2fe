import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
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

/** A network the worker has made: no worker runs here, so its outcome is recorded as the worker would. */
async function activeNetwork(token: string, name: string, cidr: string): Promise<string> {
  const r = await api.call('POST', '/v1/networks', { token, body: { name, cidr } });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await db.query(`UPDATE networks SET status = 'active', presence = 'present', xapi_uuid = gen_random_uuid()::text WHERE id = $1`, [
    r.body.network.id,
  ]);
  await db.query(`UPDATE operations SET status = 'succeeded' WHERE id = $1`, [r.body.operation.id]);
  return r.body.network.id;
}

before(async () => {
  api = await startApi();
  db = new pg.Pool({ connectionString: api.db.url, max: 2 });
  flavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'net-small', vcpus: 1, memoryMiB: 256, diskGiB: 1 } })).body.id;
  imageId = (await api.call('POST', '/v1/images', { body: { name: 'net-debian', template: 'Debian Bookworm 12' } })).body.id;
});
after(async () => {
  await db?.end();
  await api?.close();
});

describe('POST /v1/networks', () => {
  test('answers 202 with the pending network, a VNI from the pool and its network.create operation', async () => {
    const a = await tenant('net-co');
    const r = await api.call('POST', '/v1/networks', { token: a.token, body: { name: 'backend', cidr: '10.20.0.0/24' } });
    assert.equal(r.status, 202);
    assert.equal(r.body.network.status, 'pending');
    assert.equal(r.body.network.cidr, '10.20.0.0/24');
    assert.equal(r.body.network.gateway, '10.20.0.1');
    // VNIs are global, so a tenant never sees one (it would count everyone's networks); operators do.
    assert.ok(!('vni' in r.body.network), JSON.stringify(r.body.network));
    assert.ok(!('vni' in (await api.call('GET', `/v1/networks/${r.body.network.id}`, { token: a.token })).body));
    assert.ok((await api.call('GET', '/v1/networks', { token: a.token })).body.items.every((n: object) => !('vni' in n)));
    const seen = (await api.call('GET', `/v1/networks/${r.body.network.id}?tenantId=${a.id}`)).body;
    assert.ok(seen.vni >= 4096 && seen.vni <= 16_777_215);
    const openapi = (await api.call('GET', '/v1/openapi.json')).body;
    assert.ok(!openapi.components.schemas.NetworkView.required.includes('vni'));
    assert.match(openapi.components.schemas.NetworkView.properties.vni.description, /operators only/);
    assert.equal(r.body.operation.kind, 'network.create');
    assert.equal(r.headers.get('location'), `/v1/operations/${r.body.operation.id}`);
    assert.equal((await api.call('GET', `/v1/networks/${r.body.network.id}`, { token: a.token })).body.name, 'backend');
    assert.deepEqual(
      (await api.call('GET', '/v1/networks', { token: a.token })).body.items.map((n: { id: string }) => n.id),
      [r.body.network.id],
    );
  });

  test('a CIDR that is public, has host bits set, is too small or too large, or is not one is 400 on cidr', async () => {
    const a = await tenant('net-bad');
    for (const cidr of ['8.8.8.0/24', '10.0.0.1/24', '10.0.0.0/30', '10.0.0.0/8', 'junk', '10.0.0.0', '300.0.0.0/24', '']) {
      const r = await api.call('POST', '/v1/networks', { token: a.token, body: { name: 'n', cidr } });
      assert.equal(r.status, 400, cidr);
      assert.equal(r.body.code, 'validation_failed');
      assert.deepEqual(
        r.body.errors.map((e: { path: string }) => e.path),
        ['cidr'],
        cidr,
      );
    }
  });

  test('concurrent creates get distinct VNIs, even on the same CIDR', async () => {
    const a = await tenant('net-vni');
    const rs = await Promise.all(
      Array.from({ length: 8 }, (_, i) => api.call('POST', '/v1/networks', { token: a.token, body: { name: `n${i}`, cidr: '10.0.0.0/24' } })),
    );
    assert.deepEqual(
      rs.map((r) => r.status),
      Array(8).fill(202),
    );
    const vnis = await Promise.all(rs.map(async (r) => (await api.call('GET', `/v1/networks/${r.body.network.id}?tenantId=${a.id}`)).body.vni));
    assert.equal(new Set(vnis).size, 8);
  });

  test('networks count against the networks quota', async () => {
    const a = await tenant('net-quota', { networks: 1 });
    assert.equal((await api.call('POST', '/v1/networks', { token: a.token, body: { name: 'one', cidr: '10.0.0.0/24' } })).status, 202);
    const r = await api.call('POST', '/v1/networks', { token: a.token, body: { name: 'two', cidr: '10.0.1.0/24' } });
    assert.equal(r.status, 409);
    assert.equal(r.body.code, 'quota_exceeded');
    assert.equal(r.body.resource, 'networks');
    assert.equal((await api.call('GET', '/v1/quota', { token: a.token })).body.used.networks, 1);
  });
});

describe('VMs on networks', () => {
  test('30 concurrent creates on a /27 (29 addresses): each address and MAC once, the rest 409 network full', async () => {
    const a = await tenant('net-ipam');
    const net = await activeNetwork(a.token, 'small', '192.168.7.0/27');
    const rs = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        api.call('POST', '/v1/vms', { token: a.token, body: { name: `v${i}`, flavorId, imageId, networkIds: [net] } }),
      ),
    );
    const ok = rs.filter((r) => r.status === 202);
    const refused = rs.filter((r) => r.status !== 202);
    assert.equal(ok.length, 29, JSON.stringify(refused.map((r) => r.body)));
    for (const r of refused) {
      assert.equal(r.status, 409);
      assert.deepEqual([r.body.code, r.body.capacity], ['network_full', 29]);
      assert.match(r.body.detail, /full/);
    }
    const nics = ok.map((r) => r.body.vm.nics[0]);
    assert.ok(nics.every((n) => n.networkId === net));
    const ips = nics.map((n) => n.ip).sort((x, y) => Number(x.split('.')[3]) - Number(y.split('.')[3]));
    assert.deepEqual(
      ips,
      Array.from({ length: 29 }, (_, i) => `192.168.7.${i + 2}`),
      'network, gateway and broadcast are never handed out',
    );
    assert.equal(new Set(nics.map((n) => n.mac)).size, 29);
    for (const n of nics) assert.match(n.mac, /^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/, 'locally administered unicast');
    const shown = (await api.call('GET', `/v1/vms/${ok[0].body.vm.id}`, { token: a.token })).body;
    assert.deepEqual(shown.nics, [ok[0].body.vm.nics[0]]);
    assert.equal(refused.length, 1);
    // Nothing of the refused create was kept: no VM row, no quota.
    assert.equal((await api.call('GET', '/v1/quota', { token: a.token })).body.used.vms, 29);
  });

  test("another tenant's network is 404 and cannot be attached; a pending one cannot be attached either", async () => {
    const a = await tenant('net-owner');
    const b = await tenant('net-other');
    const net = await activeNetwork(a.token, 'mine', '10.5.0.0/24');
    const get = await api.call('GET', `/v1/networks/${net}`, { token: b.token });
    assert.equal(get.status, 404);
    assert.equal(get.body.code, 'not_found');
    assert.equal((await api.call('DELETE', `/v1/networks/${net}`, { token: b.token })).status, 404);
    const attach = await api.call('POST', '/v1/vms', { token: b.token, body: { name: 'x', flavorId, imageId, networkIds: [net] } });
    assert.equal(attach.status, 400);
    assert.deepEqual(attach.body.errors, [{ path: 'networkIds.0', message: 'no such active network' }]);
    const pending = (await api.call('POST', '/v1/networks', { token: a.token, body: { name: 'later', cidr: '10.6.0.0/24' } })).body.network.id;
    const second = await api.call('POST', '/v1/vms', { token: a.token, body: { name: 'y', flavorId, imageId, networkIds: [net, pending] } });
    assert.equal(second.status, 400);
    assert.deepEqual(
      second.body.errors.map((e: { path: string }) => e.path),
      ['networkIds.1'],
    );
  });

  test('DELETE is 409 while a VM is attached, and accepted once none is', async () => {
    const a = await tenant('net-del');
    const net = await activeNetwork(a.token, 'busy', '10.7.0.0/29');
    const vm = await api.call('POST', '/v1/vms', { token: a.token, body: { name: 'w', flavorId, imageId, networkIds: [net] } });
    assert.equal(vm.body.vm.nics[0].ip, '10.7.0.2');
    const refused = await api.call('DELETE', `/v1/networks/${net}`, { token: a.token });
    assert.equal(refused.status, 409);
    assert.deepEqual([refused.body.code, refused.body.usedBy], ['in_use', { vms: [vm.body.vm.id] }]);
    // The VM gone (as the worker records it): its NIC rows go with it.
    await db.query(`UPDATE vms SET status = 'deleted' WHERE id = $1`, [vm.body.vm.id]);
    await db.query(`DELETE FROM vm_nics WHERE vm_id = $1`, [vm.body.vm.id]);
    const accepted = await api.call('DELETE', `/v1/networks/${net}`, { token: a.token });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    assert.equal(accepted.body.network.status, 'deleting');
    assert.equal(accepted.body.operation.kind, 'network.delete');
    assert.equal((await api.call('DELETE', `/v1/networks/${net}`, { token: a.token })).body.code, 'invalid_state');
  });
});
