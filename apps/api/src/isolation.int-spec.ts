// The isolation matrix, generated from the routes the running API serves: every one must be classified below,
// so a route added without saying who may call it (and on whose resources) fails this suite. Every route is then
// tried by six principals (tenant A's admin and member, tenant B's admin, the operator, no key, a revoked key of A's)
// against the table of who may do what (WHO), and the deeper checks follow (B learns and changes nothing of A's).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { apiRoutes, operationOf, servedRoutes, type ServedRoute } from './testing/served-routes.js';
import { OPERATOR_TOKEN, startApi, type ApiHarness } from './testing/api-harness.js';

type Fixture =
  | 'tenant'
  | 'vm'
  | 'operation'
  | 'apiKey'
  | 'spareKey'
  | 'operatorKey'
  | 'spareOperatorKey'
  | 'pool'
  | 'network'
  | 'period'
  | 'flavor'
  | 'image'
  | 'spareFlavor'
  | 'spareImage'
  | 'keypair'
  | 'spareKeypair'
  | 'volume';
type Fixtures = Record<Fixture | 'bigFlavor', string>;
interface Rule {
  /** operator: operator keys only; shared: any key, global data; tenant: any key of the owning tenant; tenant-admin: its admins. */
  access: 'operator' | 'shared' | 'tenant' | 'tenant-admin';
  /** Which of tenant A's resources each path parameter names. */
  params?: Record<string, Fixture>;
  /** A valid body, so that validation never answers before the ownership or role check does. */
  body?: (f: Fixtures) => unknown;
  /** Query parameters every call needs (without `?`), so validation never answers first. */
  query?: string;
  /** Announced in API.md and being built: may be absent from the served routes for now. */
  upcoming?: true;
}

// Any valid key will do: the matrix is about who may, not what.
const ISO_PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO8S6BULLDKt+Z2DImlJduxYFRtXzKt8NhOOr0AWMOGO iso@test';
/** A keypair delete consumes its keypair: each call that names A's gets a fresh one. */
const spareKeypairs: string[] = [];

const ROUTES: Record<string, Rule> = {
  'POST /v1/tenants': { access: 'operator', body: () => ({ name: `iso-new-${randomUUID().slice(0, 8)}` }) },
  'GET /v1/tenants': { access: 'operator' },
  'GET /v1/tenants/:id': { access: 'operator', params: { id: 'tenant' } },
  'PATCH /v1/tenants/:id': { access: 'operator', params: { id: 'tenant' }, body: () => ({ name: 'iso-a' }) },
  'DELETE /v1/tenants/:id': { access: 'operator', params: { id: 'tenant' } },
  'GET /v1/tenants/:id/quota': { access: 'operator', params: { id: 'tenant' } },
  'PUT /v1/tenants/:id/quota': {
    access: 'operator',
    params: { id: 'tenant' },
    body: () => ({
      vms: null,
      vcpus: null,
      memoryMiB: null,
      diskGiB: null,
      networks: null,
      apiKeys: null,
      keypairs: null,
      volumes: null,
      volumeGiB: null,
    }),
  },
  'POST /v1/tenants/:id/quota/recount': { access: 'operator', params: { id: 'tenant' } },
  'POST /v1/tenants/:tenantId/api-keys': { access: 'tenant-admin', params: { tenantId: 'tenant' }, body: () => ({ name: 'iso', role: 'member' }) },
  'GET /v1/tenants/:tenantId/api-keys': { access: 'tenant-admin', params: { tenantId: 'tenant' } },
  'GET /v1/tenants/:tenantId/api-keys/:keyId': { access: 'tenant-admin', params: { tenantId: 'tenant', keyId: 'apiKey' } },
  'DELETE /v1/tenants/:tenantId/api-keys/:keyId': { access: 'tenant-admin', params: { tenantId: 'tenant', keyId: 'spareKey' } },
  'POST /v1/tenants/:tenantId/api-keys/:keyId/rotate': {
    access: 'tenant-admin',
    params: { tenantId: 'tenant', keyId: 'apiKey' },
    body: () => ({ expiresAt: null }),
  },
  'POST /v1/operator-keys': { access: 'operator', body: () => ({ name: 'iso-operator' }) },
  'GET /v1/operator-keys': { access: 'operator' },
  'GET /v1/operator-keys/:id': { access: 'operator', params: { id: 'operatorKey' } },
  'POST /v1/operator-keys/:id/rotate': { access: 'operator', params: { id: 'operatorKey' }, body: () => ({ expiresAt: null }) },
  'DELETE /v1/operator-keys/:id': { access: 'operator', params: { id: 'spareOperatorKey' } },
  'POST /v1/flavors': { access: 'operator', body: () => ({ name: `iso-f-${randomUUID().slice(0, 8)}`, vcpus: 1, memoryMiB: 256, diskGiB: 1 }) },
  'GET /v1/flavors': { access: 'shared' },
  'GET /v1/flavors/:id': { access: 'shared', params: { id: 'flavor' } },
  'PATCH /v1/flavors/:id': { access: 'operator', params: { id: 'spareFlavor' }, body: () => ({ name: 'iso-spare-f' }) },
  'DELETE /v1/flavors/:id': { access: 'operator', params: { id: 'spareFlavor' } },
  'POST /v1/images': { access: 'operator', body: () => ({ name: `iso-i-${randomUUID().slice(0, 8)}`, template: 'Debian Bookworm 12' }) },
  'GET /v1/images': { access: 'shared' },
  'GET /v1/images/:id': { access: 'shared', params: { id: 'image' } },
  'PATCH /v1/images/:id': { access: 'operator', params: { id: 'spareImage' }, body: () => ({ name: 'iso-spare-i' }) },
  'DELETE /v1/images/:id': { access: 'operator', params: { id: 'spareImage' } },
  'POST /v1/pools': {
    access: 'operator',
    body: () => ({ name: `iso-p-${randomUUID().slice(0, 8)}`, url: 'http://127.0.0.1:9', username: 'root', password: 'iso-secret' }),
  },
  'GET /v1/pools': { access: 'operator' },
  'GET /v1/pools/:id': { access: 'operator', params: { id: 'pool' } },
  'POST /v1/pools/:id/identity': { access: 'operator', params: { id: 'pool' }, body: () => ({ action: 'revert' }) },
  'GET /v1/pools/:id/templates': { access: 'operator', params: { id: 'pool' } },
  'GET /v1/hosts': { access: 'operator' },
  'POST /v1/vms': { access: 'tenant', body: (f) => ({ name: 'iso-vm', flavorId: f.flavor, imageId: f.image }) },
  'GET /v1/vms': { access: 'tenant' },
  'GET /v1/vms/:id': { access: 'tenant', params: { id: 'vm' } },
  'GET /v1/vms/:id/usage': { access: 'tenant', params: { id: 'vm' }, query: 'from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z' },
  'PATCH /v1/vms/:id': { access: 'tenant', params: { id: 'vm' }, body: (f) => ({ flavorId: f.bigFlavor }) },
  'POST /v1/vms/:id/actions': { access: 'tenant', params: { id: 'vm' }, body: () => ({ action: 'stop' }) },
  'DELETE /v1/vms/:id': { access: 'tenant', params: { id: 'vm' } },
  'POST /v1/vms/:id/console': { access: 'tenant', params: { id: 'vm' } },
  'POST /v1/networks': { access: 'tenant', body: () => ({ name: 'iso-net', cidr: '10.9.0.0/24' }) },
  'GET /v1/networks': { access: 'tenant' },
  'GET /v1/networks/:id': { access: 'tenant', params: { id: 'network' } },
  'PATCH /v1/networks/:id': { access: 'tenant', params: { id: 'network' }, body: () => ({ description: 'iso' }) },
  'DELETE /v1/networks/:id': { access: 'tenant', params: { id: 'network' } },
  'POST /v1/keypairs': { access: 'tenant', body: () => ({ name: `iso-kp-${randomUUID().slice(0, 8)}`, publicKey: ISO_PUBLIC_KEY }) },
  'GET /v1/keypairs': { access: 'tenant' },
  'GET /v1/keypairs/:id': { access: 'tenant', params: { id: 'keypair' } },
  'DELETE /v1/keypairs/:id': { access: 'tenant', params: { id: 'spareKeypair' } },
  'POST /v1/volumes': { access: 'tenant', body: () => ({ name: 'iso-vol', sizeGiB: 1 }) },
  'GET /v1/volumes': { access: 'tenant' },
  'GET /v1/volumes/:id': { access: 'tenant', params: { id: 'volume' } },
  'PATCH /v1/volumes/:id': { access: 'tenant', params: { id: 'volume' }, body: () => ({ sizeGiB: 2 }) },
  'POST /v1/volumes/:id/actions': { access: 'tenant', params: { id: 'volume' }, body: (f) => ({ action: 'attach', vmId: f.vm }) },
  'DELETE /v1/volumes/:id': { access: 'tenant', params: { id: 'volume' } },
  'POST /v1/volume-types': { access: 'operator', body: () => ({ name: `iso-t-${randomUUID().slice(0, 8)}`, srUuid: randomUUID() }) },
  'GET /v1/volume-types': { access: 'shared' },
  'GET /v1/operations': { access: 'tenant' },
  'GET /v1/operations/:id': { access: 'tenant', params: { id: 'operation' } },
  'GET /v1/quota': { access: 'tenant' },
  'GET /v1/audit': { access: 'tenant-admin' },
  'GET /v1/prices': { access: 'shared' },
  'PUT /v1/prices': {
    access: 'operator',
    body: () => ({
      currency: 'EUR',
      effectiveFrom: '2099-01-01T00:00:00Z',
      items: ['vm-hour', 'vcpu-hour', 'memory-gib-hour', 'disk-gib-hour', 'network-hour', 'volume-gib-hour'].map((sku) => ({
        sku,
        unitPrice: '0.01',
      })),
    }),
  },
  'GET /v1/usage': { access: 'tenant', query: 'from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z' },
  'GET /v1/billing/export': { access: 'tenant', query: 'period=2026-01&format=json' },
  'GET /v1/billing/export/metadata': { access: 'shared', query: 'period=2026-01' },
  'GET /v1/billing/periods': { access: 'operator' },
  'GET /v1/billing/invoices': { access: 'tenant', query: 'period=2026-01' },
  'POST /v1/billing/periods/:period/close': { access: 'operator', params: { period: 'period' } },
};
/** Outside the /v1 surface: reachable without a key. */
const PUBLIC = new Set(['GET /health/live', 'GET /health/ready', 'GET /metrics', 'GET /v1/openapi.json']);
const isDocs = (r: ServedRoute) => r.method === 'GET' && /^\/docs(\/|$)/.test(r.path);

interface Tenant {
  id: string;
  admin: string;
  member: string;
  revoked: string;
  keyIds: string[];
}
let api: ApiHarness;
let routes: (ServedRoute & { rule: Rule; tenantQuery: boolean })[];
let A: Tenant;
let B: Tenant;
let fx: Fixtures;

async function tenant(name: string): Promise<Tenant & { spare: string; memberId: string }> {
  const t = (await api.call('POST', '/v1/tenants', { body: { name } })).body;
  const key = async (role: string) => (await api.call('POST', `/v1/tenants/${t.id}/api-keys`, { body: { name: role, role } })).body;
  const [admin, member, spare, revoked] = [await key('admin'), await key('member'), await key('member'), await key('admin')];
  assert.equal((await api.call('DELETE', `/v1/tenants/${t.id}/api-keys/${revoked.id}`)).status, 204);
  return {
    id: t.id,
    admin: admin.token,
    member: member.token,
    revoked: revoked.token,
    keyIds: [admin.id, member.id, spare.id, revoked.id],
    spare: spare.id,
    memberId: member.id,
  };
}

const pathOf = (r: ServedRoute & { rule: Rule }, f: Partial<Fixtures> = fx) =>
  r.path.replace(/:(\w+)/g, (_, name: string) => {
    const kind = r.rule.params![name];
    return (kind === 'spareKeypair' && f === fx ? spareKeypairs.pop() : f[kind]) ?? randomUUID();
  });
const send = (
  r: ServedRoute & { rule: Rule },
  token: string | null,
  opts: { path?: string; query?: string; headers?: Record<string, string> } = {},
) => {
  const query = [r.rule.query, opts.query?.replace(/^\?/, '')].filter(Boolean).join('&');
  return api.call(r.method, `${opts.path ?? pathOf(r)}${query ? `?${query}` : ''}`, { token, body: r.rule.body?.(fx), headers: opts.headers });
};
const withParams = () => routes.filter((r) => r.params.length > 0);
const of = (...access: Rule['access'][]) => routes.filter((r) => access.includes(r.rule.access));

before(async () => {
  api = await startApi({ POOL_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
  const a = await tenant('iso-a');
  B = await tenant('iso-b');
  A = a;
  const flavor = await api.call('POST', '/v1/flavors', { body: { name: 'iso-small', vcpus: 1, memoryMiB: 512, diskGiB: 5 } });
  const big = await api.call('POST', '/v1/flavors', { body: { name: 'iso-big', vcpus: 2, memoryMiB: 1024, diskGiB: 10 } });
  const image = await api.call('POST', '/v1/images', { body: { name: 'iso-debian', template: 'Debian Bookworm 12' } });
  const spareFlavor = await api.call('POST', '/v1/flavors', { body: { name: 'iso-spare', vcpus: 1, memoryMiB: 512, diskGiB: 5 } });
  const spareImage = await api.call('POST', '/v1/images', { body: { name: 'iso-spare', template: 'Debian Bookworm 12' } });
  const vm = await api.call('POST', '/v1/vms', { token: A.admin, body: { name: 'a-web', flavorId: flavor.body.id, imageId: image.body.id } });
  assert.equal(vm.status, 202, JSON.stringify(vm.body));
  const network = await api.call('POST', '/v1/networks', { token: A.admin, body: { name: 'a-net', cidr: '10.1.0.0/24' } });
  assert.equal(network.status, 202, JSON.stringify(network.body));
  const volume = await api.call('POST', '/v1/volumes', { token: A.admin, body: { name: 'a-vol', sizeGiB: 1 } });
  assert.equal(volume.status, 202, JSON.stringify(volume.body));
  const pool = (await api.call('GET', '/v1/pools')).body.items[0];
  const [operatorKey, spareOperatorKey] = [
    (await api.call('POST', '/v1/operator-keys', { body: { name: 'iso-op' } })).body,
    (await api.call('POST', '/v1/operator-keys', { body: { name: 'iso-op-spare' } })).body,
  ];
  const keypair = async (name: string) =>
    (await api.call('POST', '/v1/keypairs', { token: A.admin, body: { name, publicKey: ISO_PUBLIC_KEY } })).body.id as string;
  const kp = await keypair('a-key');
  for (let i = 0; i < 12; i++) spareKeypairs.push(await keypair(`a-spare-${i}`));
  // As if a worker had finished both creations (none runs here), so that actions, resizes and deletes can be accepted.
  const db = new pg.Client({ connectionString: api.db.url });
  await db.connect();
  await db.query(`UPDATE operations SET status = 'succeeded' WHERE resource_id = ANY($1)`, [
    [vm.body.vm.id, network.body.network.id, volume.body.volume.id],
  ]);
  await db.query(`UPDATE volumes SET status = 'available' WHERE id = $1`, [volume.body.volume.id]);
  await db.query(`UPDATE vms SET status = 'running' WHERE id = $1`, [vm.body.vm.id]);
  await db.query(`UPDATE networks SET status = 'active' WHERE id = $1`, [network.body.network.id]);
  await db.end();
  fx = {
    tenant: A.id,
    vm: vm.body.vm.id,
    operation: vm.body.operation.id,
    apiKey: a.memberId,
    spareKey: a.spare,
    operatorKey: operatorKey.id,
    spareOperatorKey: spareOperatorKey.id,
    pool: pool.id,
    network: network.body.network.id,
    volume: volume.body.volume.id,
    period: '2026-01',
    flavor: flavor.body.id,
    bigFlavor: big.body.id,
    image: image.body.id,
    spareFlavor: spareFlavor.body.id,
    spareImage: spareImage.body.id,
    keypair: kp,
    spareKeypair: '',
  };
  routes = apiRoutes(api.app)
    .filter((r) => !PUBLIC.has(r.key) && ROUTES[r.key])
    .map((r) => ({
      ...r,
      rule: ROUTES[r.key],
      tenantQuery: (operationOf(api.openapi, r).parameters ?? []).some((p) => p.in === 'query' && p.name === 'tenantId'),
    }));
});
after(async () => {
  await api?.close();
});

describe('the route table', () => {
  test('every served route is classified, and every classification names a served route', () => {
    const served = servedRoutes(api.app);
    const unclassified = served.filter((r) => !ROUTES[r.key] && !PUBLIC.has(r.key) && !isDocs(r)).map((r) => r.key);
    assert.deepEqual(unclassified, [], 'classify these routes in isolation.int-spec.ts');
    const keys = new Set(served.map((r) => r.key));
    const stale = [...Object.keys(ROUTES), ...PUBLIC].filter((k) => !keys.has(k) && !ROUTES[k]?.upcoming);
    assert.deepEqual(stale, [], 'these classified routes are no longer served');
    for (const r of routes) assert.deepEqual(Object.keys(r.rule.params ?? {}).sort(), [...r.params].sort(), `${r.key}: classify each path parameter`);
    assert.ok(routes.length >= 25, `only ${routes.length} routes`);
  });

  test('public routes answer without a key (every other route is in the matrix below)', async () => {
    for (const key of PUBLIC) assert.equal((await api.call(key.split(' ')[0], key.split(' ')[1], { token: null })).status, 200, key);
  });
});

describe("tenant B and tenant A's resources", () => {
  let snapshot: Record<string, unknown>;
  const sweepIds: string[] = [];
  /** What A (and an operator, for A's tenant) can see of A's things, to prove B changed none of it. */
  const view = async () => {
    const out: Record<string, unknown> = {};
    for (const r of of('tenant', 'tenant-admin').filter((x) => x.method === 'GET' && x.path !== '/v1/audit'))
      out[r.key] = (await send(r, A.admin)).body;
    for (const r of of('operator').filter((x) => x.method === 'GET' && x.rule.params?.id === 'tenant'))
      out[r.key] = (await send(r, OPERATOR_TOKEN)).body;
    return out;
  };

  test("B gets 404 on every route naming A's resources, exactly as for ids that do not exist", async () => {
    snapshot = await view();
    for (const r of withParams().filter((x) => x.rule.access === 'tenant' || x.rule.access === 'tenant-admin')) {
      for (const [who, token] of [
        ['admin', B.admin],
        ['member', B.member],
      ] as const) {
        const requestId = `iso-b-${randomUUID()}`;
        sweepIds.push(requestId);
        const theirs = await send(r, token, { headers: { 'x-request-id': requestId } });
        const missing = await send(r, token, { path: pathOf(r, {}) });
        if (who === 'member' && r.rule.access === 'tenant-admin') {
          assert.ok([403, 404].includes(theirs.status), `${r.key} as B ${who}: ${theirs.status}`);
        } else {
          assert.equal(theirs.status, 404, `${r.key} as B ${who}: ${JSON.stringify(theirs.body)}`);
          assert.equal(theirs.body.code, 'not_found');
        }
        assert.equal(theirs.status, missing.status, `${r.key} as B ${who}: A's resource answers like a missing one`);
        const strip = (d: unknown) => String(d).replace(/[0-9a-f-]{36}/g, '<id>');
        assert.equal(strip(theirs.body.detail), strip(missing.body.detail), r.key);
      }
    }
  });

  test('B naming tenant A with ?tenantId= gets 404 on every tenant-scoped route', async () => {
    for (const r of routes.filter((x) => x.tenantQuery && x.rule.access !== 'operator')) {
      const requestId = `iso-b-${randomUUID()}`;
      sweepIds.push(requestId);
      const res = await send(r, B.admin, { query: `?tenantId=${A.id}`, path: pathOf(r, {}), headers: { 'x-request-id': requestId } });
      assert.equal(res.status, 404, `${r.key}: ${JSON.stringify(res.body)}`);
    }
  });

  test("B's lists never contain anything of A's", async () => {
    const aIds = [A.id, fx.vm, fx.operation, fx.network, fx.keypair, ...A.keyIds];
    for (const r of of('tenant', 'tenant-admin', 'shared').filter((x) => x.method === 'GET' && x.params.length === 0)) {
      const res = await send(r, B.admin);
      assert.equal(res.status, 200, r.key);
      // B's audit rows of its own probes repeat the ids B sent; that echoes B's input, not A's data.
      const own = (x: Record<string, unknown>) => (B.keyIds.includes(x.apiKeyId as string) ? { ...x, path: '', resourceId: '' } : x);
      const text = JSON.stringify(r.path === '/v1/audit' ? res.body.items.map(own) : res.body);
      for (const id of aIds) assert.ok(!text.includes(id), `${r.key} shows B ${id}`);
    }
  });

  test("none of it changed A's resources, and none of it shows in A's audit log", async () => {
    assert.deepEqual(await view(), snapshot);
    let all: string[] = [];
    for (let i = 0; i < 50 && !sweepIds.every((id) => all.includes(id)); i++) {
      all = (await api.call('GET', `/v1/audit?limit=500&tenantId=${B.id}`)).body.items.map((x: { requestId: string }) => x.requestId);
      await new Promise((res) => setTimeout(res, 40));
    }
    const mutating = sweepIds.filter((id) => all.includes(id));
    assert.ok(mutating.length > 0, "B's attempts to change things are in B's audit log");
    const aLog = (await api.call('GET', '/v1/audit?limit=500', { token: A.admin })).body.items.map((x: { requestId: string }) => x.requestId);
    assert.ok(!sweepIds.some((id) => aLog.includes(id)));
  });
});

type Principal = 'admin' | 'member' | 'other' | 'operator' | 'none' | 'revoked';
type Expect = 'allowed' | 'forbidden' | 'not_found' | 'unauthenticated';
/**
 * Who may do what: allowed (reads 200; changes 2xx, or 409/422 when the state refuses them: a previous call changed it,
 * or a period not open to closing), else the refusal (403, 404, 401).
 */
const WHO: Record<Rule['access'], Record<Principal, Expect>> = {
  operator: { admin: 'forbidden', member: 'forbidden', other: 'forbidden', operator: 'allowed', none: 'unauthenticated', revoked: 'unauthenticated' },
  shared: { admin: 'allowed', member: 'allowed', other: 'allowed', operator: 'allowed', none: 'unauthenticated', revoked: 'unauthenticated' },
  tenant: { admin: 'allowed', member: 'allowed', other: 'not_found', operator: 'allowed', none: 'unauthenticated', revoked: 'unauthenticated' },
  'tenant-admin': {
    admin: 'allowed',
    member: 'forbidden',
    other: 'not_found',
    operator: 'allowed',
    none: 'unauthenticated',
    revoked: 'unauthenticated',
  },
};
// Refused principals first, so that the allowed ones' changes (a deleted key, a resized VM) cannot hide a refusal.
const ORDER: Principal[] = ['none', 'revoked', 'other', 'member', 'admin', 'operator'];
const CODES: Record<Exclude<Expect, 'allowed'>, [number, string]> = {
  forbidden: [403, 'forbidden'],
  not_found: [404, 'not_found'],
  unauthenticated: [401, 'unauthenticated'],
};

/** What `who` should get on `r`: B acting on routes that name none of A's resources acts on its own tenant. */
function expected(r: (typeof routes)[number], who: Principal): Expect {
  const e = WHO[r.rule.access][who];
  return who === 'other' && e === 'not_found' && r.params.length === 0 ? 'allowed' : e;
}

async function tryAs(r: (typeof routes)[number], who: Principal): Promise<string | null> {
  const token = { admin: A.admin, member: A.member, other: B.admin, operator: OPERATOR_TOKEN, none: null, revoked: A.revoked }[who];
  // The operator names tenant A where the route takes ?tenantId=, as operators do.
  const res = await send(r, token, { query: who === 'operator' && r.tenantQuery && r.rule.access !== 'operator' ? `tenantId=${A.id}` : undefined });
  const want = expected(r, who);
  const got = `${res.status} ${String(JSON.stringify(res.body ?? null)).slice(0, 200)}`;
  if (want === 'allowed') {
    if (r.method === 'GET' ? res.status !== 200 : !(res.status < 300 || res.status === 409 || res.status === 422))
      return `${r.key} as ${who}: expected allowed, got ${got}`;
    return null;
  }
  const [status, code] = CODES[want];
  if (res.status !== status || res.body?.code !== code) return `${r.key} as ${who}: expected ${status} ${code}, got ${got}`;
  if (status === 401 && !/^Bearer /.test(res.headers.get('www-authenticate') ?? ''))
    return `${r.key} as ${who}: 401 without WWW-Authenticate: Bearer`;
  return null;
}

describe('the matrix: every route, tried by every principal, answers as WHO says', () => {
  const phase = (which: (r: (typeof routes)[number]) => boolean) => async () => {
    const wrong: string[] = [];
    for (const r of routes.filter(which)) for (const who of ORDER) wrong.push(...[await tryAs(r, who)].filter((x): x is string => x !== null));
    assert.deepEqual(wrong, []);
  };

  test('the table covers every access kind for all six principals', () => {
    for (const [access, row] of Object.entries(WHO)) assert.deepEqual(Object.keys(row).sort(), [...ORDER].sort(), access);
    assert.ok(
      routes.every((r) => WHO[r.rule.access]),
      'every route has a row',
    );
  });

  test(
    'reads',
    phase((r) => r.method === 'GET'),
  );

  test(
    'changes',
    phase((r) => r.method !== 'GET' && r.method !== 'DELETE'),
  );

  test(
    'deletions',
    phase((r) => r.method === 'DELETE'),
  );
});
