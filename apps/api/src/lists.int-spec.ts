// Lists through the public API: operators across tenants, tenants only their own; ?status= (repeatable), ?name=,
// ?since=, deleted hidden unless asked for, newest first unless ?order=asc, and cursors that stay right under all of it.
// The expected pages are computed here from what the test made (ids, names, statuses, creation times it set).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startApi, tenantWithKey, type ApiHarness } from './testing/api-harness.js';

interface Made {
  id: string;
  tenantId: string;
  name: string;
  status: string;
  createdAt: string;
}
interface Tenant {
  id: string;
  token: string;
}

let api: ApiHarness;
let db: pg.Pool;
let A: Tenant;
let B: Tenant;
const vms: Made[] = [];
const networks: Made[] = [];

const tenant = (name: string): Promise<Tenant> => tenantWithKey(api, name);

/** Every item of a list, following nextCursor `limit` at a time. */
async function walk(path: string, token?: string, limit = 2): Promise<{ id: string; tenantId: string }[]> {
  const out: { id: string; tenantId: string }[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const r = await api.call('GET', `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { token });
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
    assert.ok(r.body.items.length <= limit);
    out.push(...r.body.items);
    cursor = r.body.nextCursor;
    assert.ok(++pages < 100, 'pages end');
  } while (cursor);
  return out;
}

/** What a list should hold, in its order: (createdAt, id) newest first, or oldest first for asc. */
function expected(rows: Made[], keep: (m: Made) => boolean, order: 'asc' | 'desc' = 'desc'): string[] {
  const sorted = rows.filter(keep).sort((x, y) => (x.createdAt === y.createdAt ? (x.id < y.id ? -1 : 1) : x.createdAt < y.createdAt ? -1 : 1));
  return (order === 'asc' ? sorted : sorted.reverse()).map((m) => m.id);
}
const ids = (items: { id: string }[]) => items.map((i) => i.id);

before(async () => {
  api = await startApi();
  db = new pg.Pool({ connectionString: api.db.url, max: 2 });
  A = await tenant('lists-a');
  B = await tenant('lists-b');
  const flavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'lists-small', vcpus: 1, memoryMiB: 256, diskGiB: 1 } })).body.id;
  const imageId = (await api.call('POST', '/v1/images', { body: { name: 'lists-debian', template: 'Debian Bookworm 12' } })).body.id;
  // Creation times are set here, two of them equal, so order and cursors are tested on ties too.
  const statuses = ['running', 'stopped', 'deleted', 'error', 'running', 'pending', 'deleted', 'running'];
  const times = ['01', '02', '03', '04', '04', '05', '06', '07'].map((d) => `2026-03-${d}T10:00:00.000Z`);
  for (let i = 0; i < statuses.length; i++) {
    const t = i % 3 === 2 ? B : A;
    const name = i % 2 ? `web-${i}` : `DB-${i}`;
    const r = await api.call('POST', '/v1/vms', { token: t.token, body: { name, flavorId, imageId } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await db.query(`UPDATE vms SET status = $2, created_at = $3 WHERE id = $1`, [r.body.vm.id, statuses[i], times[i]]);
    await db.query(`UPDATE operations SET status = 'succeeded', created_at = $2 WHERE id = $1`, [r.body.operation.id, times[i]]);
    vms.push({ id: r.body.vm.id, tenantId: t.id, name, status: statuses[i], createdAt: times[i] });
  }
  for (const [i, t] of [A, B, A].entries()) {
    const r = await api.call('POST', '/v1/networks', { token: t.token, body: { name: `net-${i}`, cidr: `10.${i}.0.0/24` } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const status = i === 2 ? 'deleted' : 'active';
    const createdAt = `2026-04-0${i + 1}T00:00:00.000Z`;
    await db.query(`UPDATE networks SET status = $2, created_at = $3 WHERE id = $1`, [r.body.network.id, status, createdAt]);
    networks.push({ id: r.body.network.id, tenantId: t.id, name: `net-${i}`, status, createdAt });
  }
});
after(async () => {
  await db?.end();
  await api?.close();
});

describe('operators list across tenants; tenants see their own', () => {
  test("GET /v1/vms, /v1/networks and /v1/operations without ?tenantId= give an operator every tenant's, each naming its tenant", async () => {
    const allVms = await walk('/v1/vms');
    assert.deepEqual(
      ids(allVms),
      expected(vms, (m) => m.status !== 'deleted'),
    );
    assert.deepEqual(new Set(allVms.map((v) => v.tenantId)), new Set([A.id, B.id]));
    for (const v of allVms) assert.equal(v.tenantId, vms.find((m) => m.id === v.id)!.tenantId);
    const allNets = await walk('/v1/networks');
    assert.deepEqual(
      ids(allNets),
      expected(networks, (m) => m.status !== 'deleted'),
    );
    const ops = await walk('/v1/operations', undefined, 3);
    assert.equal(ops.length, vms.length + networks.length);
    assert.deepEqual(new Set(ops.map((o) => o.tenantId)), new Set([A.id, B.id]));
  });

  test('?tenantId= narrows an operator to one tenant; a tenant key sees only its own, and naming another is 404', async () => {
    for (const t of [A, B]) {
      const mine = (m: Made) => m.tenantId === t.id && m.status !== 'deleted';
      assert.deepEqual(ids(await walk(`/v1/vms?tenantId=${t.id}`)), expected(vms, mine));
      assert.deepEqual(ids(await walk('/v1/vms', t.token)), expected(vms, mine));
      assert.deepEqual(ids(await walk('/v1/networks', t.token)), expected(networks, mine));
      const ops = await walk('/v1/operations', t.token);
      assert.ok(ops.length > 0 && ops.every((o) => o.tenantId === t.id));
    }
    for (const path of ['/v1/vms', '/v1/networks', '/v1/operations']) {
      const r = await api.call('GET', `${path}?tenantId=${A.id}`, { token: B.token });
      assert.equal(r.status, 404, path);
      assert.equal(r.body.code, 'not_found');
    }
  });
});

describe('filters, order and cursors', () => {
  test('deleted resources are hidden unless ?status=deleted asks for them', async () => {
    assert.deepEqual(
      ids(await walk('/v1/vms?status=deleted')),
      expected(vms, (m) => m.status === 'deleted'),
    );
    assert.deepEqual(
      ids(await walk('/v1/networks?status=deleted')),
      expected(networks, (m) => m.status === 'deleted'),
    );
    const vm = vms.find((m) => m.status === 'deleted')!;
    // Still readable by id (it is history), only left out of lists by default.
    assert.equal((await api.call('GET', `/v1/vms/${vm.id}?tenantId=${vm.tenantId}`)).body.status, 'deleted');
  });

  test('every combination of status (repeated), name, since and order pages exactly the expected items', async () => {
    const cases: [string, (m: Made) => boolean][] = [
      ['status=running', (m) => m.status === 'running'],
      ['status=running&status=deleted', (m) => m.status === 'running' || m.status === 'deleted'],
      ['status=error&status=pending&status=stopped', (m) => ['error', 'pending', 'stopped'].includes(m.status)],
      ['name=web', (m) => m.name.includes('web') && m.status !== 'deleted'],
      ['name=db', (m) => m.name.toLowerCase().includes('db') && m.status !== 'deleted'],
      ['name=%25', () => false],
      ['name=_', () => false],
      ['since=2026-03-04T10:00:00Z', (m) => m.createdAt >= '2026-03-04T10:00:00.000Z' && m.status !== 'deleted'],
      ['since=2026-03-04T12:00:00%2B02:00', (m) => m.createdAt >= '2026-03-04T10:00:00.000Z' && m.status !== 'deleted'],
      ['since=2026-03-02T00:00:00Z&status=running&name=DB', (m) => m.createdAt >= '2026-03-02' && m.status === 'running' && m.name.startsWith('DB')],
      ['', (m) => m.status !== 'deleted'],
    ];
    for (const [query, keep] of cases) {
      for (const order of ['asc', 'desc'] as const) {
        for (const limit of [1, 2, 3, 50]) {
          const path = `/v1/vms?${query}${query ? '&' : ''}order=${order}`;
          assert.deepEqual(ids(await walk(path, undefined, limit)), expected(vms, keep, order), `${path} limit=${limit}`);
        }
      }
      const omitted = await walk(`/v1/vms${query ? `?${query}` : ''}`);
      assert.deepEqual(ids(omitted), expected(vms, keep, 'desc'), `${query}: newest first by default`);
    }
  });

  test('a tenant filtering its own list never reaches another tenant', async () => {
    assert.deepEqual(
      ids(await walk('/v1/vms?status=running&status=deleted&order=asc', A.token, 1)),
      expected(vms, (m) => m.tenantId === A.id && ['running', 'deleted'].includes(m.status), 'asc'),
    );
  });

  test('operations filter by status and since', async () => {
    const r = await api.call('GET', '/v1/operations?status=queued&limit=500');
    assert.ok(r.body.items.length > 0 && r.body.items.every((o: { status: string }) => o.status === 'queued'));
    const since = await walk('/v1/operations?since=2026-03-05T00:00:00Z&status=succeeded&order=asc');
    assert.deepEqual(
      since.map((o) => (o as unknown as { resourceId: string }).resourceId),
      expected(vms, (m) => m.createdAt >= '2026-03-05', 'asc').map((id) => id),
    );
  });

  test('unknown or malformed filter values are 400 validation_failed naming the parameter', async () => {
    const bad: [string, string][] = [
      ['/v1/vms?status=exploded', 'status'],
      ['/v1/vms?status=running&status=RUNNING', 'status'],
      ['/v1/vms?status=', 'status'],
      ['/v1/vms?order=newest', 'order'],
      ['/v1/vms?order=ASC', 'order'],
      ['/v1/vms?since=yesterday', 'since'],
      ['/v1/vms?since=2026-03-01', 'since'],
      ['/v1/vms?since=2026-03-01T00:00:00', 'since'],
      ['/v1/vms?name=', 'name'],
      [`/v1/vms?name=${'x'.repeat(101)}`, 'name'],
      ['/v1/vms?name=a&name=b', 'name'],
      ['/v1/vms?status[]=running', 'status[]'],
      ['/v1/networks?status=running', 'status'],
      ['/v1/operations?status=deleted', 'status'],
      ['/v1/operations?name=x', 'name'],
    ];
    for (const [path, param] of bad) {
      const r = await api.call('GET', path);
      assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, 'validation_failed', path);
      assert.ok(
        r.body.errors.some((e: { path: string }) => e.path === param),
        `${path}: ${JSON.stringify(r.body.errors)}`,
      );
    }
  });

  test('the document describes the filters: status repeatable with its enum, order with its default', async () => {
    const op = api.openapi.paths['/v1/vms'].get!;
    const param = (name: string) => (op.parameters ?? []).find((p) => 'name' in p && p.name === name) as { schema: Record<string, any> };
    assert.equal(param('status').schema.type, 'array');
    assert.ok(param('status').schema.items.enum.includes('deleted'));
    assert.deepEqual(param('order').schema.enum, ['desc', 'asc']);
    assert.equal(param('since').schema.format, 'date-time');
  });
});

describe('the audit log', () => {
  test('newest first, with since, until, actor and route narrowing it, across pages', async () => {
    // A's key and the operator each change something, so the log holds more than one actor and route.
    const keyOfA = (await api.call('GET', `/v1/tenants/${A.id}/api-keys`)).body.items[0].id;
    await api.call('POST', '/v1/networks', { token: A.token, body: { name: 'audit-net', cidr: '10.77.0.0/24' } });
    let rows: { id: string; at: string; apiKeyId: string | null; route: string }[] = [];
    for (let i = 0; i < 100 && !rows.some((r) => r.route === '/v1/networks' && r.apiKeyId === keyOfA); i++) {
      rows = (await api.call('GET', '/v1/audit?limit=500')).body.items;
      await new Promise((res) => setTimeout(res, 20));
    }
    const sorted = [...rows].sort((x, y) => (x.at === y.at ? (x.id < y.id ? 1 : -1) : x.at < y.at ? 1 : -1));
    assert.deepEqual(ids(rows), ids(sorted), 'newest first');
    assert.deepEqual(ids(await walk('/v1/audit?order=asc')), ids([...sorted].reverse()));
    const byA = await walk(`/v1/audit?actor=${keyOfA}`);
    assert.ok(byA.length > 0);
    assert.deepEqual(ids(byA), ids(sorted.filter((r) => r.apiKeyId === keyOfA)));
    assert.deepEqual(ids(await walk('/v1/audit?route=/v1/vms', undefined, 3)), ids(sorted.filter((r) => r.route === '/v1/vms')));
    const mid = sorted[Math.floor(sorted.length / 2)].at;
    assert.deepEqual(ids(await walk(`/v1/audit?since=${mid}`)), ids(sorted.filter((r) => r.at >= mid)));
    assert.deepEqual(ids(await walk(`/v1/audit?until=${mid}&order=asc`)), ids(sorted.filter((r) => r.at < mid).reverse()));
    // A tenant admin's filters apply within its own log only.
    const own = await walk('/v1/audit?route=/v1/vms', A.token);
    assert.ok(own.length > 0 && own.every((r) => r.tenantId === A.id));
    for (const q of ['since=x', 'until=2026-01-01', 'actor=nope', 'route=vms', 'route=/v1/vms?x=1']) {
      const r = await api.call('GET', `/v1/audit?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.code, 'validation_failed');
    }
  });
});

describe('the operator lists filter too', () => {
  test('tenants: deleted ones only with ?status=deleted; ?name= and ?since=; newest first', async () => {
    const gone = await tenant('lists-gone');
    assert.equal((await api.call('DELETE', `/v1/tenants/${gone.id}`)).status, 204);
    const names = async (q: string) => (await walk(`/v1/tenants${q}`)).map((t) => (t as unknown as { name: string }).name);
    assert.deepEqual(await names('?name=lists-'), ['lists-b', 'lists-a']);
    assert.deepEqual(await names('?name=lists-&order=asc'), ['lists-a', 'lists-b']);
    assert.deepEqual(await names('?status=deleted'), ['lists-gone']);
    assert.deepEqual(await names('?status=active&status=deleted&name=LISTS'), ['lists-gone', 'lists-b', 'lists-a']);
    assert.deepEqual(await names('?since=2999-01-01T00:00:00Z'), []);
    assert.equal((await api.call('GET', '/v1/tenants?status=suspended')).status, 400);
  });

  test('API keys by status (active, revoked) and name; pools by status; hosts by name', async () => {
    const spare = (await api.call('POST', `/v1/tenants/${A.id}/api-keys`, { body: { name: 'spare', role: 'member' } })).body;
    await api.call('DELETE', `/v1/tenants/${A.id}/api-keys/${spare.id}`);
    const keys = async (q: string) => ids(await walk(`/v1/tenants/${A.id}/api-keys?${q}`));
    assert.deepEqual(await keys('status=revoked'), [spare.id]);
    assert.ok(!(await keys('status=active')).includes(spare.id));
    assert.deepEqual(await keys('name=spar'), [spare.id]);
    assert.equal((await keys('')).length, 2, 'revoked keys are listed unless filtered out');
    const pools = (await walk('/v1/pools?status=pending&status=connected&status=error')).length;
    assert.ok(pools >= 1);
    assert.deepEqual(await walk('/v1/pools?status=connected&name=no-such-pool'), []);
    assert.equal((await api.call('GET', '/v1/hosts?name=x&since=2026-01-01T00:00:00Z')).status, 200);
    assert.equal((await api.call('GET', '/v1/hosts?status=live')).status, 400, 'hosts have no status to filter by');
  });
});
