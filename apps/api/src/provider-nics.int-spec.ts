// POST/DELETE /v1/vms/:id/nics on provider networks (issue 16) with the real API and Postgres: the address from the
// operator's pools, publicIps charged in the request's transaction, a race for the last addresses, and the release a
// worker records on removal (ResourceLifecycle.releaseNic, the worker's own call) giving address and quota back once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { ResourceLifecycle } from '@xenplane/tenancy';
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

/** A provider network the worker has resolved (no worker runs here). */
async function provider(pools: [string, string][], over: Record<string, unknown> = {}): Promise<string> {
  const r = await api.call('POST', '/v1/provider-networks', {
    body: {
      name: `pn-${randomUUID().slice(0, 8)}`,
      cidr: '203.0.113.0/24',
      gateway: '203.0.113.1',
      allocationPools: pools.map(([start, end]) => ({ start, end })),
      xapiNetwork: randomUUID(),
      ...over,
    },
  });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await db.query(`UPDATE provider_networks SET status = 'active', bridge = 'xenbr0' WHERE id = $1`, [r.body.id]);
  return r.body.id;
}

/** A stopped VM, as the worker would leave it; `networkIds` get their NICs at create. */
async function vm(token: string, networkIds: string[] = []): Promise<string> {
  const r = await api.call('POST', '/v1/vms', { token, body: { name: `v-${randomUUID().slice(0, 6)}`, flavorId, imageId, networkIds } });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await db.query(`UPDATE vms SET status = 'stopped', xapi_uuid = gen_random_uuid()::text WHERE id = $1`, [r.body.vm.id]);
  await done(r.body.operation.id);
  return r.body.vm.id;
}

const addNic = (token: string, vmId: string, networkId: string) => api.call('POST', `/v1/vms/${vmId}/nics`, { token, body: { networkId } });
const publicIps = async (token: string): Promise<number> => (await api.call('GET', '/v1/quota', { token })).body.used.publicIps;
const held = async (providerId: string): Promise<string[]> =>
  (await db.query(`SELECT host(ip) AS ip FROM vm_nics WHERE provider_network_id = $1 ORDER BY ip`, [providerId])).rows.map((r) => r.ip);

/** What vm.remove-nic's success records: the NIC released through the worker's call, the operation done. */
async function removed(tenantId: string, nicId: string, operationId: string): Promise<boolean> {
  const ds = api.app.get(DataSource);
  const released = await ds.transaction((tx) => api.app.get(ResourceLifecycle).releaseNic(tx, { tenantId, nicId }, operationId));
  await done(operationId);
  return released;
}

before(async () => {
  api = await startApi();
  db = new pg.Pool({ connectionString: api.db.url, max: 4 });
  flavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'pnic-small', vcpus: 1, memoryMiB: 256, diskGiB: 1 } })).body.id;
  imageId = (await api.call('POST', '/v1/images', { body: { name: 'pnic-debian', template: 'Debian Bookworm 12' } })).body.id;
});
after(async () => {
  await db?.end();
  await api?.close();
});

describe('a NIC added on a provider network', () => {
  test('202 attaching with the lowest pool address, charged to publicIps and metered; over the quota it is 409 quota_exceeded and holds nothing', async () => {
    const a = await tenant('pnic-add', { publicIps: 1 });
    const id = await provider([['203.0.113.10', '203.0.113.19']]);
    const [one, two] = [await vm(a.token), await vm(a.token)];
    const r = await addNic(a.token, one, id);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual(
      [r.body.nic.status, r.body.nic.device, r.body.nic.ip, r.body.nic.networkId, r.body.nic.networkKind, r.body.operation.kind],
      ['attaching', 0, '203.0.113.10', id, 'provider', 'vm.add-nic'],
    );
    assert.equal(await publicIps(a.token), 1);
    const billed = await db.query(`SELECT kind, attrs->>'name' AS name FROM usage_events WHERE resource_type = 'public-ip' AND tenant_id = $1`, [
      a.id,
    ]);
    assert.deepEqual(billed.rows, [{ kind: 'created', name: '203.0.113.10' }], 'public-ip-hour metering starts with the address');
    const over = await addNic(a.token, two, id);
    assert.deepEqual([over.status, over.body.code, over.body.resource, over.body.limit], [409, 'quota_exceeded', 'publicIps', 1]);
    assert.deepEqual((await api.call('GET', `/v1/vms/${two}/nics`, { token: a.token })).body.items, []);
    assert.equal(await publicIps(a.token), 1);
    assert.deepEqual(await held(id), ['203.0.113.10']);
  });

  test('a provider network the tenant may not see is 400 on networkId, as an unknown one; the same one twice is already_attached', async () => {
    const [a, b] = [await tenant('pnic-vis-a'), await tenant('pnic-vis-b')];
    const id = await provider([['203.0.113.10', '203.0.113.19']], { visibility: 'tenants', tenantIds: [a.id] });
    const hidden = await addNic(b.token, await vm(b.token), id);
    assert.deepEqual([hidden.status, hidden.body.code, hidden.body.errors?.[0]?.path], [400, 'validation_failed', 'networkId']);
    assert.equal(await publicIps(b.token), 0);
    const mine = await vm(a.token, [id]);
    const twice = await addNic(a.token, mine, id);
    assert.deepEqual([twice.status, twice.body.code], [409, 'already_attached']);
    assert.equal(await publicIps(a.token), 1, 'only the NIC made at create');
  });

  test('30 concurrent adds for the last 3 addresses: 3 accepted, 27 no_address; removals give address and quota back exactly once', async () => {
    const tenants = await Promise.all([0, 1, 2].map((i) => tenant(`pnic-race-${i}`)));
    const id = await provider([
      ['203.0.113.10', '203.0.113.11'],
      ['203.0.113.200', '203.0.113.202'],
    ]);
    // Two of the five held by NICs made at create.
    await vm(tenants[0].token, [id]);
    await vm(tenants[1].token, [id]);
    const vms: { t: (typeof tenants)[number]; vmId: string }[] = [];
    for (let i = 0; i < 30; i++) vms.push({ t: tenants[i % 3], vmId: await vm(tenants[i % 3].token) });
    const rs = await Promise.all(vms.map(({ t, vmId }) => addNic(t.token, vmId, id)));
    const ok = rs.flatMap((r, i) => (r.status === 202 ? [{ ...vms[i], nic: r.body.nic, operationId: r.body.operation.id as string }] : []));
    assert.equal(ok.length, 3, JSON.stringify(rs.filter((r) => r.status !== 202 && r.body.code !== 'no_address').map((r) => r.body)));
    for (const r of rs.filter((x) => x.status !== 202)) assert.deepEqual([r.status, r.body.code, r.body.capacity], [409, 'no_address', 5]);
    assert.deepEqual(await held(id), ['203.0.113.10', '203.0.113.11', '203.0.113.200', '203.0.113.201', '203.0.113.202']);
    const total = async () => (await Promise.all(tenants.map((t) => publicIps(t.token)))).reduce((x, y) => x + y, 0);
    assert.equal(await total(), 5, 'every refused add gave its charge back with its transaction');

    for (const { t, vmId, nic, operationId } of ok) {
      await db.query(`UPDATE vm_nics SET status = 'attached' WHERE id = $1`, [nic.id]);
      await done(operationId);
      const del = await api.call('DELETE', `/v1/vms/${vmId}/nics/${nic.id}`, { token: t.token });
      assert.deepEqual([del.status, del.body.nic.status], [202, 'detaching']);
      assert.equal(await held(id).then((h) => h.includes(nic.ip)), true, 'held while detaching');
      assert.equal(await removed(t.id, nic.id, del.body.operation.id), true);
      // A duplicate delivery of the success, or a retried failure: nothing more is given back.
      assert.equal(await removed(t.id, nic.id, del.body.operation.id), false);
      assert.equal(await removed(t.id, nic.id, randomUUID()), false);
    }
    assert.equal(await total(), 2, 'the two NICs made at create still count');
    const perTenant = await Promise.all(tenants.map((t) => publicIps(t.token)));
    assert.deepEqual(perTenant, [1, 1, 0]);
    assert.deepEqual(await held(id), ['203.0.113.10', '203.0.113.11']);
    const ended = await db.query(
      `SELECT count(*)::int AS n FROM usage_events WHERE resource_type = 'public-ip' AND kind = 'deleted' AND attrs->>'name' = ANY($1)`,
      [ok.map((o) => o.nic.ip)],
    );
    assert.equal(ended.rows[0].n, 3, "each removed address's public-ip-hour interval ended");
    // The recount agrees with what the releases left.
    for (const t of tenants) {
      const recount = await api.call('POST', `/v1/tenants/${t.id}/quota/recount`);
      assert.equal(recount.body.used.publicIps, perTenant[tenants.indexOf(t)]);
    }
    const again = await addNic(ok[0].t.token, ok[0].vmId, id);
    assert.deepEqual([again.status, again.body.nic?.ip], [202, '203.0.113.200'], 'the lowest freed address is handed out again');
  });
});
