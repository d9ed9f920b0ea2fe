// A method a path does not serve is 405 with Allow listing what it does serve, for every path the API serves (read
// from its router, so a route added later is covered); a path nothing serves stays 404.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { servedRoutes } from './testing/served-routes.js';
import { startApi, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
before(async () => {
  api = await startApi();
});
after(async () => {
  await api?.close();
});

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

test('every served path answers a method it does not serve with 405 and Allow', async () => {
  const byPath = new Map<string, Set<string>>();
  for (const r of servedRoutes(api.app)) byPath.set(r.path, (byPath.get(r.path) ?? new Set()).add(r.method));
  let checked = 0;
  for (const [path, served] of byPath) {
    const concrete = path.replace(/:\w+/g, randomUUID());
    const allow = [...served, ...(served.has('GET') ? ['HEAD'] : [])].sort().join(', ');
    for (const method of METHODS.filter((m) => !served.has(m))) {
      // Without a key too: which methods a path serves is in the public OpenAPI document anyway.
      for (const token of [undefined, null]) {
        const r = await api.call(method, concrete, { token, ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }) });
        assert.equal(r.status, 405, `${method} ${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.headers.get('allow'), allow, `${method} ${path}`);
        assert.deepEqual([r.body.code, r.headers.get('content-type')], ['method_not_allowed', 'application/problem+json; charset=utf-8']);
        assert.deepEqual(r.body.allow, allow.split(', '));
      }
      checked++;
    }
  }
  assert.ok(checked > 20, `only ${checked} method/path pairs checked`);
});

test('a path nothing serves is 404 without Allow, and 401 still challenges with Bearer', async () => {
  const r = await api.call('GET', '/v1/nothing-here');
  assert.deepEqual([r.status, r.body.code, r.headers.get('allow')], [404, 'not_found', null]);
  const unauthenticated = await api.call('GET', '/v1/vms', { token: null });
  assert.equal(unauthenticated.status, 401);
  assert.equal(unauthenticated.headers.get('www-authenticate'), 'Bearer realm="xenplane"');
});
