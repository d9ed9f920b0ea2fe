import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let tenantToken: string;
let flavorId: string;
let imageId: string;

before(async () => {
  api = await startApi();
  const t = await api.call('POST', '/v1/tenants', { body: { name: 'vm-co' } });
  tenantToken = (await api.call('POST', `/v1/tenants/${t.body.id}/api-keys`, { body: { name: 'a', role: 'admin' } })).body.token;
  flavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'small', vcpus: 2, memoryMiB: 2048, diskGiB: 20 } })).body.id;
  imageId = (await api.call('POST', '/v1/images', { body: { name: 'debian-12', template: 'Debian Bookworm 12' } })).body.id;
});
after(async () => {
  await api?.close();
});

describe('POST /v1/vms', () => {
  test('answers 202 with the pending VM, its queued operation and a Location to poll', async () => {
    const r = await api.call('POST', '/v1/vms', { token: tenantToken, body: { name: 'web-1', flavorId, imageId } });
    assert.equal(r.status, 202);
    assert.equal(r.body.vm.status, 'pending');
    assert.equal(r.body.vm.vcpus, 2);
    assert.equal(r.body.vm.memoryMiB, 2048);
    assert.equal(r.body.vm.xapiUuid, null);
    assert.deepEqual(r.body.vm.nics, []);
    assert.equal(r.body.operation.kind, 'vm.create');
    assert.equal(r.body.operation.status, 'queued');
    assert.equal(r.body.operation.resourceId, r.body.vm.id);
    assert.equal(r.headers.get('location'), `/v1/operations/${r.body.operation.id}`);
    const op = await api.call('GET', r.headers.get('location')!, { token: tenantToken });
    assert.equal(op.body.id, r.body.operation.id);
  });

  test('invalid bodies are 400 with the path of every bad field', async () => {
    const r = await api.call('POST', '/v1/vms', { token: tenantToken, body: { name: '-bad', flavorId: 'nope', imageId, extra: 1, diskGiB: -3 } });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'validation_failed');
    const paths = r.body.errors.map((e: { path: string }) => e.path).sort();
    assert.deepEqual([...new Set(paths)], ['diskGiB', 'extra', 'flavorId', 'name']);
  });

  test('references to a flavor or image that does not exist are 400 on that field', async () => {
    const r = await api.call('POST', '/v1/vms', { token: tenantToken, body: { name: 'x', flavorId: imageId, imageId } });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.errors, [{ path: 'flavorId', message: 'no such flavor' }]);
  });

  test('malformed JSON, wrong types and huge strings are 4xx problems, never 500', async () => {
    const cases = [
      { raw: '{"name": "x",' },
      { raw: '[1,2,3]' },
      { raw: 'null' },
      { body: { name: 12, flavorId: [], imageId: {} } },
      { body: { name: 'x'.repeat(100_000), flavorId, imageId } },
      { raw: JSON.stringify({ name: 'x'.repeat(300_000) }) },
    ];
    for (const c of cases) {
      const r = await api.call('POST', '/v1/vms', { token: tenantToken, ...c });
      assert.ok(r.status >= 400 && r.status < 500, `${r.status} for ${(c.raw ?? JSON.stringify(c.body)).slice(0, 40)}`);
      assert.equal(typeof r.body.code, 'string');
    }
  });
});

describe('VM actions', () => {
  test('an action that makes no sense in the current state is 409 invalid_state', async () => {
    const vm = (await api.call('POST', '/v1/vms', { token: tenantToken, body: { name: 'web-2', flavorId, imageId } })).body.vm;
    const del = await api.call('DELETE', `/v1/vms/${vm.id}`, { token: tenantToken });
    assert.equal(del.status, 409);
    assert.equal(del.body.code, 'invalid_state');
    const start = await api.call('POST', `/v1/vms/${vm.id}/actions`, { token: tenantToken, body: { action: 'start' } });
    assert.equal(start.body.code, 'invalid_state');
    const bogus = await api.call('POST', `/v1/vms/${vm.id}/actions`, { token: tenantToken, body: { action: 'explode' } });
    assert.equal(bogus.status, 400);
  });

  test('a VM names the operation running on it and allows no action until it ends', async () => {
    const r = await api.call('POST', '/v1/vms', { token: tenantToken, body: { name: 'web-3', flavorId, imageId } });
    assert.deepEqual(r.body.vm.operation, { id: r.body.operation.id, kind: 'vm.create' });
    assert.deepEqual(r.body.vm.allowedActions, []);
    const [shown] = (await api.call('GET', '/v1/vms?name=web-3', { token: tenantToken })).body.items;
    assert.deepEqual(shown.operation, { id: r.body.operation.id, kind: 'vm.create' });
    assert.deepEqual(shown.allowedActions, []);
  });
});

describe('lists', () => {
  test('pages follow nextCursor to the end without repeats, and a forged cursor is 400', async () => {
    for (let i = 0; i < 5; i++) await api.call('POST', '/v1/flavors', { body: { name: `page-${i}`, vcpus: 1, memoryMiB: 256, diskGiB: 1 } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { body: { items: { id: string }[]; nextCursor: string | null } } = await api.call(
        'GET',
        `/v1/flavors?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...r.body.items.map((f) => f.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    assert.equal(seen.length, 6);
    assert.equal(new Set(seen).size, 6);
    assert.equal((await api.call('GET', '/v1/flavors?cursor=garbage')).status, 400);
    assert.equal((await api.call('GET', '/v1/flavors?limit=501')).status, 400);
    assert.equal((await api.call('GET', '/v1/flavors?limit=abc')).status, 400);
  });
});

describe('the HTTP surface', () => {
  test('unknown routes are 404 problems and every answer carries a request id', async () => {
    const r = await api.call('GET', '/v1/nothing-here');
    assert.equal(r.status, 404);
    assert.equal(r.body.code, 'not_found');
    assert.ok(r.headers.get('x-request-id'));
    const echoed = await api.call('GET', '/health/live', { headers: { 'x-request-id': 'trace-abc.1' } });
    assert.equal(echoed.headers.get('x-request-id'), 'trace-abc.1');
  });

  test('health and metrics answer without a key', async () => {
    assert.equal((await api.call('GET', '/health/live', { token: null })).status, 200);
    const ready = await api.call('GET', '/health/ready', { token: null });
    assert.equal(ready.status, 200);
    assert.equal(ready.body.checks.database.status, 'up');
    assert.equal(ready.body.checks.redis.status, 'up');
    const metrics = await api.call('GET', '/metrics', { token: null });
    assert.match(metrics.body, /xenplane_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/vms"/);
  });

  test('the OpenAPI document describes exactly the routes the API serves', async () => {
    const served = new Set<string>();
    const router = api.app.getHttpAdapter().getInstance().router as { stack: { route?: { path: string; methods?: Record<string, boolean> } }[] };
    for (const layer of router.stack) {
      const route = layer.route;
      if (!route || !route.path.startsWith('/v1/') || route.path === '/v1/openapi.json') continue;
      for (const m of Object.keys(route.methods ?? {})) served.add(`${m.toUpperCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
    }
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(api.openapi.paths)) {
      for (const m of Object.keys(item)) documented.add(`${m.toUpperCase()} ${path}`);
    }
    assert.ok(served.size >= 15, `only ${served.size} routes found`);
    assert.deepEqual([...documented].sort(), [...served].sort());
    const fetched = await api.call('GET', '/v1/openapi.json', { token: null });
    assert.equal(fetched.body.openapi.startsWith('3.'), true);
  });
});
