// Renaming and describing VMs and networks through PATCH (at once, no operation; beside a resize, with it), and a
// VM's hostId as the id GET /v1/hosts lists, with the XAPI uuid beside it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startApi, tenantWithKey, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let db: pg.Pool;
let A: { id: string; token: string };
let B: { id: string; token: string };
let flavorId: string;
let bigFlavorId: string;
let imageId: string;

/** A VM the worker has made (running, or `status`) (no worker runs here, so its outcome is recorded as the worker would). */
async function runningVm(name: string, status = 'running'): Promise<string> {
  const r = await api.call('POST', '/v1/vms', { token: A.token, body: { name, flavorId, imageId } });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await db.query(`UPDATE operations SET status = 'succeeded' WHERE id = $1`, [r.body.operation.id]);
  await db.query(`UPDATE vms SET status = $2, presence = 'present', xapi_uuid = gen_random_uuid()::text WHERE id = $1`, [r.body.vm.id, status]);
  return r.body.vm.id;
}
const opsOf = async (id: string) =>
  (await api.call('GET', `/v1/operations?limit=500&tenantId=${A.id}`)).body.items.filter((o: { resourceId: string }) => o.resourceId === id);

before(async () => {
  api = await startApi();
  db = new pg.Pool({ connectionString: api.db.url, max: 2 });
  A = await tenantWithKey(api, 'details-a');
  B = await tenantWithKey(api, 'details-b');
  flavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'd-small', vcpus: 1, memoryMiB: 256, diskGiB: 1 } })).body.id;
  bigFlavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'd-big', vcpus: 2, memoryMiB: 512, diskGiB: 1 } })).body.id;
  imageId = (await api.call('POST', '/v1/images', { body: { name: 'd-debian', template: 'Debian Bookworm 12' } })).body.id;
});
after(async () => {
  await db?.end();
  await api?.close();
});

describe('PATCH /v1/vms/:id', () => {
  test('name, description and tags alone: 200 with the VM, at once, and no operation', async () => {
    const id = await runningVm('web-1');
    const before = await opsOf(id);
    const r = await api.call('PATCH', `/v1/vms/${id}`, {
      token: A.token,
      body: { name: 'web-renamed', description: 'front\nend', tags: ['env=prod', 'team:web'] },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      [r.body.name, r.body.description, r.body.tags, r.body.status],
      ['web-renamed', 'front\nend', ['env=prod', 'team:web'], 'running'],
    );
    assert.equal(r.headers.get('location'), null);
    assert.deepEqual(await opsOf(id), before, 'no operation');
    const got = (await api.call('GET', `/v1/vms/${id}`, { token: A.token })).body;
    assert.deepEqual([got.name, got.description, got.tags], ['web-renamed', 'front\nend', ['env=prod', 'team:web']]);
    // A tags list replaces the old one; leaving a field out keeps it.
    const next = await api.call('PATCH', `/v1/vms/${id}`, { token: A.token, body: { tags: [] } });
    assert.deepEqual([next.body.name, next.body.description, next.body.tags], ['web-renamed', 'front\nend', []]);
    // Names follow the rules they had: none is unique among VMs, so another VM may share it.
    const other = await runningVm('web-2');
    assert.equal((await api.call('PATCH', `/v1/vms/${other}`, { token: A.token, body: { name: 'web-renamed' } })).status, 200);
  });

  test('with flavorId it is the resize it was (202 and its operation), and the details change with it', async () => {
    const id = await runningVm('web-3', 'stopped');
    const r = await api.call('PATCH', `/v1/vms/${id}`, { token: A.token, body: { flavorId: bigFlavorId, description: 'bigger' } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.operation.kind, 'vm.resize');
    assert.equal(r.headers.get('location'), `/v1/operations/${r.body.operation.id}`);
    assert.deepEqual([r.body.vm.vcpus, r.body.vm.description], [2, 'bigger']);
    // Refused resize: the details are not changed either.
    const again = await api.call('PATCH', `/v1/vms/${id}`, { token: A.token, body: { flavorId, description: 'never' } });
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.equal((await api.call('GET', `/v1/vms/${id}`, { token: A.token })).body.description, 'bigger');
  });

  test('replayed with its Idempotency-Key, each answers with its own status', async () => {
    const id = await runningVm('web-4', 'stopped');
    const headers = { 'idempotency-key': `rename-${randomUUID()}` };
    const first = await api.call('PATCH', `/v1/vms/${id}`, { token: A.token, headers, body: { name: 'web-4b' } });
    const replay = await api.call('PATCH', `/v1/vms/${id}`, { token: A.token, headers, body: { name: 'web-4b' } });
    assert.deepEqual([first.status, replay.status, replay.headers.get('idempotent-replayed')], [200, 200, 'true']);
    const resizeKey = { 'idempotency-key': `resize-${randomUUID()}` };
    const resized = await api.call('PATCH', `/v1/vms/${id}`, { token: A.token, headers: resizeKey, body: { flavorId: bigFlavorId } });
    const resizedAgain = await api.call('PATCH', `/v1/vms/${id}`, { token: A.token, headers: resizeKey, body: { flavorId: bigFlavorId } });
    assert.deepEqual([resized.status, resizedAgain.status], [202, 202]);
    assert.equal(resizedAgain.body.operation.id, resized.body.operation.id);
  });

  test('bad details are 400 naming the field; an empty patch is 400; another tenant gets 404; a deleted VM 409', async () => {
    const id = await runningVm('web-5');
    const bad: [unknown, string][] = [
      [{}, ''],
      [{ name: '-x' }, 'name'],
      [{ name: '' }, 'name'],
      [{ description: 'x'.repeat(1001) }, 'description'],
      [{ tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'tags'],
      [{ tags: ['a', 'a'] }, 'tags'],
      [{ tags: ['has space'] }, 'tags'],
      [{ tags: [''] }, 'tags'],
      [{ tags: ['x'.repeat(65)] }, 'tags'],
      [{ tags: 'env=prod' }, 'tags'],
      [{ tags: [1] }, 'tags'],
    ];
    for (const [body, path] of bad) {
      const r = await api.call('PATCH', `/v1/vms/${id}`, { token: A.token, body });
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, 'validation_failed');
      assert.ok(
        r.body.errors.some((e: { path: string }) => e.path === path),
        `${JSON.stringify(body)}: ${JSON.stringify(r.body.errors)}`,
      );
    }
    const limits = await api.call('PATCH', `/v1/vms/${id}`, {
      token: A.token,
      body: { description: 'd'.repeat(1000), tags: Array.from({ length: 20 }, (_, i) => `${i}.${'x'.repeat(60)}`.slice(0, 64)) },
    });
    assert.equal(limits.status, 200, 'the bounds themselves are allowed');
    const theirs = await api.call('PATCH', `/v1/vms/${id}`, { token: B.token, body: { name: 'stolen' } });
    assert.equal(theirs.status, 404);
    await db.query(`UPDATE vms SET status = 'deleted' WHERE id = $1`, [id]);
    const gone = await api.call('PATCH', `/v1/vms/${id}`, { token: A.token, body: { name: 'late' } });
    assert.equal(gone.status, 409);
    assert.equal(gone.body.code, 'invalid_state');
  });
});

describe('PATCH /v1/networks/:id', () => {
  test('renames and describes a network at once (200, no operation); validation and isolation as for VMs', async () => {
    const created = await api.call('POST', '/v1/networks', { token: A.token, body: { name: 'backend', cidr: '10.5.0.0/24' } });
    const id = created.body.network.id;
    const r = await api.call('PATCH', `/v1/networks/${id}`, {
      token: A.token,
      body: { name: 'db-net', description: 'databases', tags: ['tier=db'] },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      [r.body.name, r.body.description, r.body.tags, r.body.cidr, r.body.gateway],
      ['db-net', 'databases', ['tier=db'], '10.5.0.0/24', '10.5.0.1'],
    );
    assert.deepEqual(
      (await api.call('GET', `/v1/operations?tenantId=${A.id}&limit=500`)).body.items.filter((o: { resourceId: string }) => o.resourceId === id)
        .length,
      1,
      'only its create',
    );
    assert.equal((await api.call('GET', `/v1/networks?name=db-net`, { token: A.token })).body.items[0].id, id);
    assert.equal((await api.call('PATCH', `/v1/networks/${id}`, { token: A.token, body: { tags: ['a b'] } })).status, 400);
    assert.equal((await api.call('PATCH', `/v1/networks/${id}`, { token: A.token, body: {} })).status, 400);
    assert.equal((await api.call('PATCH', `/v1/networks/${id}`, { token: B.token, body: { name: 'x' } })).status, 404);
    assert.equal(
      (await api.call('PATCH', `/v1/networks/${id}?tenantId=${A.id}`, { body: { description: 'by the operator' } })).body.description,
      'by the operator',
    );
  });
});

describe("a VM's host", () => {
  test('hostId is the id GET /v1/hosts lists; hostXapiUuid the XAPI uuid beside it; null before the host is synced', async () => {
    const id = await runningVm('hosted');
    const poolId = (await api.call('GET', '/v1/pools')).body.items[0].id;
    const xapiHost = randomUUID();
    await db.query(`UPDATE vms SET host_uuid = $2, power_state = 'Running' WHERE id = $1`, [id, xapiHost]);
    const unsynced = (await api.call('GET', `/v1/vms/${id}`, { token: A.token })).body;
    assert.deepEqual([unsynced.hostId, unsynced.hostXapiUuid], [null, xapiHost]);
    // As pool sync records the pool's hosts.
    await db.query(
      `INSERT INTO hosts (id, pool_id, xapi_uuid, name, address, enabled, live, memory_total_bytes, memory_free_bytes, cpu_count)
       VALUES (gen_random_uuid(), $1, $2, 'h1', '10.0.0.1', true, true, 1, 1, 1), (gen_random_uuid(), $1, $3, 'h2', '10.0.0.2', true, true, 1, 1, 1)`,
      [poolId, randomUUID(), xapiHost],
    );
    const hosts = (await api.call('GET', '/v1/hosts')).body.items as { id: string; xapiUuid: string }[];
    const host = hosts.find((h) => h.xapiUuid === xapiHost)!;
    for (const vm of [
      (await api.call('GET', `/v1/vms/${id}`, { token: A.token })).body,
      (await api.call('GET', '/v1/vms?limit=500', { token: A.token })).body.items.find((v: { id: string }) => v.id === id),
      (await api.call('GET', '/v1/vms?limit=500')).body.items.find((v: { id: string }) => v.id === id),
      (await api.call('POST', `/v1/vms/${id}/actions`, { token: A.token, body: { action: 'stop' } })).body.vm,
    ]) {
      assert.deepEqual([vm.hostId, vm.hostXapiUuid], [host.id, xapiHost]);
    }
  });
});
