// Placement (issue 18): pools carry region, zone, weight and overcommit ratios; POST /v1/vms is placed by the
// scheduler over the hosts pool sync reported (here written as sync writes them); server groups hold under
// concurrency; every refusal is 409 no_capacity naming its filter, with what each filter turned away.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startApi, tenantWithKey, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let db: pg.Client;
let flavorId: string;
let bigFlavorId: string;
let imageId: string;
const GiB = 1024 ** 3;
const pools: Record<string, string> = {};
const hosts: Record<string, string[]> = {};

/** A pool as registration and sync leave it: connected, with `n` hosts of 64 GiB and 8 CPUs. */
async function syncedPool(name: string, n: number): Promise<string> {
  const id = randomUUID();
  await db.query(`INSERT INTO pools (id, name, url, username, from_env, status) VALUES ($1, $2, $3, 'root', false, 'connected')`, [
    id,
    name,
    `http://${name}.invalid`,
  ]);
  hosts[name] = [];
  for (let i = 1; i <= n; i++) {
    const hostId = randomUUID();
    await db.query(
      `INSERT INTO hosts (id, pool_id, xapi_uuid, name, address, enabled, live, memory_total_bytes, memory_free_bytes, cpu_count)
       VALUES ($1, $2, $3, $4, $5, true, true, $6, $7, 8)`,
      [hostId, id, randomUUID(), `${name}-h${i}`, `10.${n}.0.${i}`, 64 * GiB, 62 * GiB],
    );
    hosts[name].push(hostId);
  }
  pools[name] = id;
  return id;
}

async function createVm(token: string, body: Record<string, unknown>) {
  return api.call('POST', '/v1/vms', { token, body: { name: `p-${randomUUID().slice(0, 8)}`, flavorId, imageId, ...body } });
}

before(async () => {
  api = await startApi();
  db = new pg.Client({ connectionString: api.db.url });
  await db.connect();
  flavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'pl-small', vcpus: 1, memoryMiB: 1024, diskGiB: 10 } })).body.id;
  bigFlavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'pl-huge', vcpus: 2, memoryMiB: 100 * 1024, diskGiB: 10 } })).body.id;
  imageId = (await api.call('POST', '/v1/images', { body: { name: 'pl-debian', template: 'Debian Bookworm 12' } })).body.id;
  await syncedPool('paris-1', 3);
  await syncedPool('paris-2', 2);
  await syncedPool('lyon-1', 2);
  for (const [name, zone] of [
    ['paris-1', 'eu-par-a'],
    ['paris-2', 'eu-par-b'],
    ['lyon-1', 'eu-lyo-a'],
  ]) {
    const r = await api.call('PATCH', `/v1/pools/${pools[name]}`, { body: { region: name.startsWith('paris') ? 'eu-par' : 'eu-lyo', zone } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
});
after(async () => {
  await db?.end();
  await api?.close();
});

describe('pools carry placement settings', () => {
  test('PATCH sets region, zone, weight and ratios (kept when left out); bad values are 400, an unknown pool 404', async () => {
    const r = await api.call('PATCH', `/v1/pools/${pools['lyon-1']}`, { body: { weight: 2, cpuAllocationRatio: 8, memoryAllocationRatio: 1.5 } });
    assert.equal(r.status, 200);
    assert.deepEqual(
      [r.body.region, r.body.zone, r.body.weight, r.body.cpuAllocationRatio, r.body.memoryAllocationRatio],
      ['eu-lyo', 'eu-lyo-a', 2, 8, 1.5],
    );
    assert.deepEqual((await api.call('GET', `/v1/pools/${pools['lyon-1']}`)).body.weight, 2);
    await api.call('PATCH', `/v1/pools/${pools['lyon-1']}`, { body: { weight: 1, cpuAllocationRatio: 4, memoryAllocationRatio: 1 } });
    for (const body of [{}, { weight: null }, { weight: -1 }, { zone: 'Not A Zone' }, { memoryAllocationRatio: 0 }, { cpuAllocationRatio: 'x' }]) {
      const bad = await api.call('PATCH', `/v1/pools/${pools['lyon-1']}`, { body });
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.equal(bad.body.code, 'validation_failed');
    }
    assert.equal((await api.call('PATCH', `/v1/pools/${randomUUID()}`, { body: { zone: 'x' } })).status, 404);
    const t = await tenantWithKey(api, 'pl-not-operator');
    assert.equal((await api.call('PATCH', `/v1/pools/${pools['lyon-1']}`, { token: t.token, body: { zone: 'x' } })).status, 403);
  });
});

describe('placement', () => {
  test('a zone or region pins the pool; the decision is on the operation; no zone means any connected pool', async () => {
    const t = await tenantWithKey(api, 'pl-zone');
    const made = await createVm(t.token, { zone: 'eu-par-b' });
    assert.equal(made.status, 202, JSON.stringify(made.body));
    assert.equal(made.body.vm.poolId, pools['paris-2']);
    const op = (await api.call('GET', `/v1/operations/${made.body.operation.id}`, { token: t.token })).body;
    assert.equal(op.placement.stage, 'api');
    assert.equal(op.placement.zone, 'eu-par-b');
    assert.ok(hosts['paris-2'].includes(op.placement.hostId), 'a host of the zone is claimed');
    assert.equal(op.placement.rejected.byReason.zone, 6, 'the other zones (and the unreported default pool) are turned away by zone');
    const byRegion = await createVm(t.token, { region: 'eu-lyo' });
    assert.equal(byRegion.body.vm.poolId, pools['lyon-1']);
    const anywhere = await createVm(t.token, {});
    assert.equal(anywhere.status, 202);
    assert.ok(Object.values(pools).includes(anywhere.body.vm.poolId), 'a reported pool is preferred to the unreported default');
  });

  test('a tenant spreads over the hosts of a zone', async () => {
    const t = await tenantWithKey(api, 'pl-spread');
    const placed: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await createVm(t.token, { zone: 'eu-par-a' });
      placed.push((await api.call('GET', `/v1/operations/${r.body.operation.id}`, { token: t.token })).body.placement.hostId);
    }
    assert.deepEqual([...placed].sort(), [...hosts['paris-1']].sort());
  });

  test('refusals are 409 no_capacity naming the filter, with every filter count; nothing is charged', async () => {
    const t = await tenantWithKey(api, 'pl-refused');
    const before = (await api.call('GET', '/v1/quota', { token: t.token })).body.used;
    const nowhere = await createVm(t.token, { zone: 'us-east-1a' });
    assert.equal(nowhere.status, 409);
    assert.equal(nowhere.body.code, 'no_capacity');
    assert.equal(nowhere.body.filter, 'zone');
    const huge = await createVm(t.token, { flavorId: bigFlavorId, region: 'eu-par' });
    assert.equal(huge.status, 409, JSON.stringify(huge.body));
    assert.deepEqual([huge.body.filter, huge.body.rejected], ['memory', { hostsConsidered: 8, byReason: { zone: 3, memory: 5 } }]);
    assert.match(huge.body.detail, /memory/);
    await db.query(`UPDATE hosts SET live = false WHERE pool_id = $1`, [pools['paris-2']]);
    const down = await createVm(t.token, { zone: 'eu-par-b' });
    assert.deepEqual([down.body.filter, down.body.rejected.byReason.host_live], ['host_live', 2]);
    await db.query(`UPDATE hosts SET live = true WHERE pool_id = $1`, [pools['paris-2']]);
    assert.deepEqual((await api.call('GET', '/v1/quota', { token: t.token })).body.used, before);
  });

  test('a pool that is down is skipped; the image must be on the pool once it has shown its templates', async () => {
    const t = await tenantWithKey(api, 'pl-down');
    await db.query(`UPDATE pools SET status = 'error' WHERE id = $1`, [pools['paris-1']]);
    const skipped = await createVm(t.token, { region: 'eu-par' });
    assert.equal(skipped.body.vm.poolId, pools['paris-2']);
    await db.query(`UPDATE pools SET status = 'connected' WHERE id = $1`, [pools['paris-1']]);
    await db.query(`INSERT INTO pool_templates (pool_id, xapi_uuid, name_label, root_disk_bytes) VALUES ($1, $2, 'Other template', NULL)`, [
      pools['lyon-1'],
      randomUUID(),
    ]);
    const noImage = await createVm(t.token, { zone: 'eu-lyo-a' });
    assert.deepEqual([noImage.status, noImage.body.filter], [409, 'image']);
    await db.query(`DELETE FROM pool_templates WHERE pool_id = $1`, [pools['lyon-1']]);
  });
});

describe('server groups', () => {
  test('CRUD: names unique per tenant, another tenant sees 404, an unknown policy is 400, a group with members is in_use', async () => {
    const t = await tenantWithKey(api, 'pl-sg-crud');
    const other = await tenantWithKey(api, 'pl-sg-other');
    const made = await api.call('POST', '/v1/server-groups', { token: t.token, body: { name: 'web', policy: 'anti-affinity' } });
    assert.equal(made.status, 201);
    assert.deepEqual(Object.keys(made.body).sort(), ['createdAt', 'id', 'members', 'name', 'policy']);
    assert.equal(
      (await api.call('POST', '/v1/server-groups', { token: t.token, body: { name: 'web', policy: 'affinity' } })).body.code,
      'name_taken',
    );
    assert.equal((await api.call('POST', '/v1/server-groups', { token: t.token, body: { name: 'x', policy: 'spread' } })).status, 400);
    assert.equal((await api.call('GET', `/v1/server-groups/${made.body.id}`, { token: other.token })).status, 404);
    assert.equal((await createVm(other.token, { serverGroupId: made.body.id, zone: 'eu-par-a' })).status, 404, "another tenant's group");
    const vm = await createVm(t.token, { serverGroupId: made.body.id, zone: 'eu-par-a' });
    assert.equal(vm.body.vm.serverGroupId, made.body.id);
    assert.deepEqual((await api.call('GET', `/v1/server-groups/${made.body.id}`, { token: t.token })).body.members, [vm.body.vm.id]);
    const inUse = await api.call('DELETE', `/v1/server-groups/${made.body.id}`, { token: t.token });
    assert.deepEqual([inUse.status, inUse.body.code, inUse.body.usedBy], [409, 'in_use', { vms: [vm.body.vm.id] }]);
    const empty = await api.call('POST', '/v1/server-groups', { token: t.token, body: { name: 'empty', policy: 'affinity' } });
    assert.equal((await api.call('DELETE', `/v1/server-groups/${empty.body.id}`, { token: t.token })).status, 204);
    assert.equal((await api.call('GET', '/v1/server-groups', { token: t.token })).body.items.length, 1);
  });

  test('concurrent creates in an anti-affinity group never share a host; one more than the hosts is refused by server_group', async () => {
    const t = await tenantWithKey(api, 'pl-sg-anti');
    const group = (await api.call('POST', '/v1/server-groups', { token: t.token, body: { name: 'db', policy: 'anti-affinity' } })).body;
    const answers = await Promise.all(Array.from({ length: 4 }, () => createVm(t.token, { serverGroupId: group.id, zone: 'eu-par-a' })));
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status !== 202);
    assert.equal(accepted.length, 3, JSON.stringify(answers.map((a) => a.body)));
    assert.deepEqual(
      refused.map((r) => [r.status, r.body.code, r.body.filter]),
      [[409, 'no_capacity', 'server_group']],
    );
    const { rows } = await db.query<{ host: string }>(`SELECT placed_host_id AS host FROM vms WHERE server_group_id = $1`, [group.id]);
    assert.equal(new Set(rows.map((r) => r.host)).size, 3, 'three members, three hosts');
  });

  test('affinity keeps members on the first one’s host; soft anti-affinity spreads, then shares rather than refuses', async () => {
    const t = await tenantWithKey(api, 'pl-sg-aff');
    const aff = (await api.call('POST', '/v1/server-groups', { token: t.token, body: { name: 'cache', policy: 'affinity' } })).body;
    for (let i = 0; i < 3; i++) assert.equal((await createVm(t.token, { serverGroupId: aff.id, region: 'eu-par' })).status, 202);
    const together = await db.query(`SELECT DISTINCT placed_host_id FROM vms WHERE server_group_id = $1`, [aff.id]);
    assert.equal(together.rowCount, 1);
    const soft = (await api.call('POST', '/v1/server-groups', { token: t.token, body: { name: 'app', policy: 'soft-anti-affinity' } })).body;
    for (let i = 0; i < 3; i++) assert.equal((await createVm(t.token, { serverGroupId: soft.id, zone: 'eu-lyo-a' })).status, 202);
    const apart = await db.query(`SELECT placed_host_id, count(*)::int AS n FROM vms WHERE server_group_id = $1 GROUP BY 1`, [soft.id]);
    assert.deepEqual(apart.rows.map((r: { n: number }) => r.n).sort(), [1, 2], 'two hosts: apart first, then shared');
  });
});

describe('host maintenance and live moves (what the API accepts)', () => {
  test('a draining host leaves placement at once; off puts it back; only operators switch it', async () => {
    const [draining, other] = hosts['lyon-1'];
    const t = await tenantWithKey(api, 'pl-maint');
    const on = await api.call('POST', `/v1/hosts/${draining}/maintenance`, { body: { enabled: true } });
    assert.deepEqual([on.status, on.body.maintenance, on.body.maintenanceBlockers], [202, 'draining', []]);
    assert.equal((await api.call('POST', `/v1/hosts/${draining}/maintenance`, { body: { enabled: true } })).body.maintenance, 'draining');
    assert.equal((await api.call('POST', `/v1/hosts/${draining}/maintenance`, { token: t.token, body: { enabled: true } })).status, 403);
    assert.equal((await api.call('POST', `/v1/hosts/${randomUUID()}/maintenance`, { body: { enabled: true } })).status, 404);
    assert.equal((await api.call('POST', `/v1/hosts/${draining}/maintenance`, { body: { enabled: 'yes' } })).status, 400);
    for (let i = 0; i < 3; i++) {
      const made = await createVm(t.token, { zone: 'eu-lyo-a' });
      const op = (await api.call('GET', `/v1/operations/${made.body.operation.id}`, { token: t.token })).body;
      assert.equal(op.placement.hostId, other);
      assert.equal(op.placement.rejected.byReason.host_enabled, 1);
    }
    const off = await api.call('POST', `/v1/hosts/${draining}/maintenance`, { body: { enabled: false } });
    assert.deepEqual([off.status, off.body.maintenance], [202, 'none']);
    const after = await createVm(t.token, { zone: 'eu-lyo-a' });
    const op = (await api.call('GET', `/v1/operations/${after.body.operation.id}`, { token: t.token })).body;
    assert.equal(op.placement.hostId, draining, 'back in placement (and the emptier host now)');
  });

  test('migrate is for operators, a running VM, and a host of its pool; the tenant sees the operation', async () => {
    const t = await tenantWithKey(api, 'pl-migrate');
    const made = await createVm(t.token, { zone: 'eu-par-b' });
    const vmId = made.body.vm.id as string;
    const path = `/v1/vms/${vmId}/actions?tenantId=${t.id}`;
    assert.equal((await api.call('POST', `/v1/vms/${vmId}/actions`, { token: t.token, body: { action: 'migrate' } })).status, 403);
    assert.equal((await api.call('POST', path, { body: { action: 'migrate' } })).body.code, 'invalid_state', 'not running yet');
    await db.query(`UPDATE operations SET status = 'succeeded' WHERE resource_id = $1`, [vmId]);
    const [from, to] = hosts['paris-2'];
    const fromUuid = (await db.query(`SELECT xapi_uuid FROM hosts WHERE id = $1`, [from])).rows[0].xapi_uuid as string;
    await db.query(`UPDATE vms SET status = 'running', host_uuid = $2 WHERE id = $1`, [vmId, fromUuid]);
    const elsewhere = await api.call('POST', path, { body: { action: 'migrate', hostId: hosts['lyon-1'][0] } });
    assert.deepEqual([elsewhere.status, elsewhere.body.code], [400, 'validation_failed']);
    assert.equal((await api.call('POST', path, { body: { action: 'migrate', hostId: from } })).body.code, 'invalid_state', 'already there');
    const moved = await api.call('POST', path, { body: { action: 'migrate', hostId: to } });
    assert.equal(moved.status, 202, JSON.stringify(moved.body));
    assert.equal(moved.body.operation.kind, 'vm.migrate');
    const seen = await api.call('GET', `/v1/operations/${moved.body.operation.id}`, { token: t.token });
    assert.deepEqual([seen.status, seen.body.kind, seen.body.resourceId], [200, 'vm.migrate', vmId]);
    const again = await api.call('POST', path, { body: { action: 'migrate' } });
    assert.equal(again.body.code, 'operation_in_progress');
  });
});
