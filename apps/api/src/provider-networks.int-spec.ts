// Provider networks through the REST API (issue 16): operator CRUD and its bad input, visibility, tenants' NICs
// drawing public addresses from the pools under quota, exhaustion and a 200-way race, delete refused while held.
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

const body = (over: Record<string, unknown> = {}) => ({
  name: `pn-${randomUUID().slice(0, 8)}`,
  cidr: '203.0.113.0/24',
  gateway: '203.0.113.1',
  allocationPools: [{ start: '203.0.113.10', end: '203.0.113.19' }],
  dnsServers: ['203.0.113.53'],
  xapiNetwork: randomUUID(),
  ...over,
});

/** A provider network the worker has resolved: no worker runs here, so its outcome is recorded as the worker would. */
async function activeProvider(over: Record<string, unknown> = {}): Promise<string> {
  const r = await api.call('POST', '/v1/provider-networks', { body: body(over) });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await db.query(`UPDATE provider_networks SET status = 'active', bridge = 'xenbr0' WHERE id = $1`, [r.body.id]);
  return r.body.id;
}

const createVm = (token: string, networkIds: string[], name = `v-${randomUUID().slice(0, 6)}`) =>
  api.call('POST', '/v1/vms', { token, body: { name, flavorId, imageId, networkIds } });

before(async () => {
  api = await startApi();
  db = new pg.Pool({ connectionString: api.db.url, max: 2 });
  flavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'pn-small', vcpus: 1, memoryMiB: 256, diskGiB: 1 } })).body.id;
  imageId = (await api.call('POST', '/v1/images', { body: { name: 'pn-debian', template: 'Debian Bookworm 12' } })).body.id;
});
after(async () => {
  await db?.end();
  await api?.close();
});

describe('operators define provider networks', () => {
  test('202 pending with the addressing; tenants see the addressing only, operators the pool side too', async () => {
    const r = await api.call('POST', '/v1/provider-networks', { body: body({ name: 'public-a' }) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual([r.body.status, r.body.gateway, r.body.visibility], ['pending', '203.0.113.1', 'all']);
    assert.deepEqual(r.body.allocationPools, [{ start: '203.0.113.10', end: '203.0.113.19' }]);
    const a = await tenant('pn-view');
    const seen = (await api.call('GET', `/v1/provider-networks/${r.body.id}`, { token: a.token })).body;
    assert.equal(seen.cidr, '203.0.113.0/24');
    for (const k of ['xapiNetwork', 'pif', 'vlan', 'tenantIds', 'visibility', 'bridge']) assert.ok(!(k in seen), k);
    const dup = await api.call('POST', '/v1/provider-networks', { body: body({ name: 'PUBLIC-A' }) });
    assert.deepEqual([dup.status, dup.body.code, dup.body.kind], [409, 'name_taken', 'provider network']);
    assert.equal((await api.call('POST', '/v1/provider-networks', { token: a.token, body: body() })).status, 403);
  });

  test('bad input is 400 naming the field: overlapping pools, a gateway outside the CIDR, pools outside it, both sources', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        {
          allocationPools: [
            { start: '203.0.113.10', end: '203.0.113.30' },
            { start: '203.0.113.25', end: '203.0.113.40' },
          ],
        },
        'allocationPools.1',
      ],
      [{ gateway: '198.51.100.1' }, 'gateway'],
      [{ gateway: '203.0.113.12' }, 'allocationPools.0'],
      [{ allocationPools: [{ start: '198.51.100.10', end: '198.51.100.20' }] }, 'allocationPools.0.start'],
      [{ allocationPools: [{ start: '203.0.113.30', end: '203.0.113.20' }] }, 'allocationPools.0'],
      [{ cidr: '203.0.113.7/24' }, 'cidr'],
      [{ pif: randomUUID(), vlan: 10 }, 'xapiNetwork'],
      [{ xapiNetwork: undefined, pif: randomUUID() }, 'vlan'],
      [{ visibility: 'tenants' }, 'tenantIds'],
      [{ visibility: 'tenants', tenantIds: [randomUUID()] }, 'tenantIds.0'],
      [{ allocationPools: [] }, 'allocationPools'],
      [{ dnsServers: ['not-an-ip'] }, 'dnsServers'],
      [{ vlan: 4095, pif: randomUUID(), xapiNetwork: undefined }, 'vlan'],
    ];
    for (const [over, path] of cases) {
      const r = await api.call('POST', '/v1/provider-networks', { body: body(over) });
      assert.equal(r.status, 400, `${JSON.stringify(over)}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, 'validation_failed');
      assert.ok(
        r.body.errors.some((e: { path: string }) => e.path === path || e.path.startsWith(`${path}.`)),
        `${JSON.stringify(over)} → ${JSON.stringify(r.body.errors)}`,
      );
    }
  });

  test('visibility: named tenants see it, others get 404 on read and 400 on attach, as for an unknown id', async () => {
    const [a, b] = [await tenant('pn-vis-a'), await tenant('pn-vis-b')];
    const id = await activeProvider({ visibility: 'tenants', tenantIds: [a.id] });
    assert.equal((await api.call('GET', `/v1/provider-networks/${id}`, { token: a.token })).status, 200);
    const hidden = await api.call('GET', `/v1/provider-networks/${id}`, { token: b.token });
    const unknown = await api.call('GET', `/v1/provider-networks/${randomUUID()}`, { token: b.token });
    assert.deepEqual([hidden.status, hidden.body.code], [404, 'not_found']);
    assert.equal(unknown.status, 404);
    assert.ok(!(await api.call('GET', '/v1/provider-networks', { token: b.token })).body.items.some((n: { id: string }) => n.id === id));
    assert.ok((await api.call('GET', '/v1/provider-networks', { token: a.token })).body.items.some((n: { id: string }) => n.id === id));
    const attach = await createVm(b.token, [id]);
    assert.deepEqual([attach.status, attach.body.errors?.[0]?.path], [400, 'networkIds.0']);
    // Shared with everyone later: B may attach now.
    const patched = await api.call('PATCH', `/v1/provider-networks/${id}`, { body: { visibility: 'all' } });
    assert.deepEqual([patched.status, patched.body.tenantIds], [200, []]);
    assert.equal((await createVm(b.token, [id])).status, 202);
  });
});

describe("tenants' NICs on provider networks", () => {
  test('the address comes from the pools, publicIps is charged and recounted, the NIC says provider', async () => {
    const a = await tenant('pn-nic', { publicIps: 2 });
    const id = await activeProvider({
      allocationPools: [
        { start: '203.0.113.100', end: '203.0.113.100' },
        { start: '203.0.113.50', end: '203.0.113.51' },
      ],
    });
    const one = await createVm(a.token, [id]);
    assert.equal(one.status, 202, JSON.stringify(one.body));
    assert.deepEqual([one.body.vm.nics[0].ip, one.body.vm.nics[0].networkKind, one.body.vm.nics[0].networkId], ['203.0.113.50', 'provider', id]);
    const two = await createVm(a.token, [id]);
    assert.equal(two.body.vm.nics[0].ip, '203.0.113.51');
    const three = await createVm(a.token, [id]);
    assert.deepEqual([three.status, three.body.code, three.body.resource], [409, 'quota_exceeded', 'publicIps']);
    const quota = (await api.call('GET', '/v1/quota', { token: a.token })).body;
    assert.deepEqual([quota.used.publicIps, quota.limits.publicIps, quota.used.vms], [2, 2, 2]);
    await db.query(`UPDATE tenant_quotas SET public_ips_used = 0 WHERE tenant_id = $1`, [a.id]);
    const recount = await api.call('POST', `/v1/tenants/${a.id}/quota/recount`);
    assert.equal(recount.body.used.publicIps, 2, JSON.stringify(recount.body));
  });

  test('delete is 409 in_use while addresses are held, naming the VMs', async () => {
    const a = await tenant('pn-del');
    const id = await activeProvider();
    const vm = await createVm(a.token, [id]);
    const r = await api.call('DELETE', `/v1/provider-networks/${id}`);
    assert.deepEqual([r.status, r.body.code, r.body.usedBy], [409, 'in_use', { vms: [vm.body.vm.id], addresses: 1 }]);
    await db.query(`DELETE FROM vm_nics WHERE vm_id = $1`, [vm.body.vm.id]);
    const ok = await api.call('DELETE', `/v1/provider-networks/${id}`);
    assert.deepEqual([ok.status, ok.body.status], [202, 'deleting']);
    assert.equal((await api.call('DELETE', `/v1/provider-networks/${id}`)).body.code, 'invalid_state');
  });

  test('a 200-way race across tenants for the last addresses hands each out once; the rest are 409 no_address', async () => {
    const tenants = await Promise.all([0, 1, 2, 3].map((i) => tenant(`pn-race-${i}`)));
    const id = await activeProvider({
      cidr: '198.51.100.0/24',
      gateway: '198.51.100.1',
      allocationPools: [
        { start: '198.51.100.10', end: '198.51.100.14' },
        { start: '198.51.100.200', end: '198.51.100.204' },
      ],
    });
    // Most of the pools already held: 7 of the 10 addresses.
    for (let i = 0; i < 7; i++) assert.equal((await createVm(tenants[i % 4].token, [id])).status, 202);
    const rs = await Promise.all(Array.from({ length: 200 }, (_, i) => createVm(tenants[i % 4].token, [id], `race-${i}`)));
    const ok = rs.filter((r) => r.status === 202);
    assert.equal(ok.length, 3, JSON.stringify(rs.filter((r) => r.status !== 202 && r.body.code !== 'no_address').map((r) => r.body)));
    for (const r of rs.filter((x) => x.status !== 202)) assert.deepEqual([r.status, r.body.code, r.body.capacity], [409, 'no_address', 10]);
    const held = (await db.query(`SELECT host(ip) AS ip FROM vm_nics WHERE provider_network_id = $1 ORDER BY ip`, [id])).rows.map((x) => x.ip);
    assert.deepEqual(
      held,
      [10, 11, 12, 13, 14, 200, 201, 202, 203, 204].map((n) => `198.51.100.${n}`),
    );
    const used = await Promise.all(tenants.map(async (t) => (await api.call('GET', '/v1/quota', { token: t.token })).body.used.publicIps));
    assert.equal(
      used.reduce((x, y) => x + y, 0),
      10,
      'every refused create gave its publicIps charge back with its transaction',
    );
  });

  test('pools may change only while every held address stays inside them', async () => {
    const a = await tenant('pn-pools');
    const id = await activeProvider();
    const vm = await createVm(a.token, [id]);
    assert.equal(vm.body.vm.nics[0].ip, '203.0.113.10');
    const shrink = await api.call('PATCH', `/v1/provider-networks/${id}`, {
      body: { allocationPools: [{ start: '203.0.113.11', end: '203.0.113.19' }] },
    });
    assert.deepEqual([shrink.status, shrink.body.errors?.[0]?.path], [400, 'allocationPools']);
    const grow = await api.call('PATCH', `/v1/provider-networks/${id}`, {
      body: { allocationPools: [{ start: '203.0.113.10', end: '203.0.113.99' }] },
    });
    assert.deepEqual(grow.body.allocationPools, [{ start: '203.0.113.10', end: '203.0.113.99' }]);
  });
});
