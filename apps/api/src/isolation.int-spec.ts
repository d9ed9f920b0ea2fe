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
  | 'securityGroup'
  | 'spareSecurityGroup'
  | 'sgRule'
  | 'spareSgRule'
  | 'volume'
  | 'serverGroup'
  | 'host'
  | 'nic'
  | 'snapshot'
  | 'ownImage'
  | 'spareOwnImage'
  | 'providerNetwork'
  | 'webhook'
  | 'spareWebhook';
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
  /** Headers every call needs (a disk upload's Content-Type). */
  headers?: Record<string, string>;
  /** A read the fixture's state refuses to those allowed (a queued image has no disk to download: 422). */
  readStatus?: number;
}

// Any valid key will do: the matrix is about who may, not what.
const ISO_PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO8S6BULLDKt+Z2DImlJduxYFRtXzKt8NhOOr0AWMOGO iso@test';
/** A keypair delete consumes its keypair: each call that names A's gets a fresh one. */
const spareKeypairs: string[] = [];
/** Deletes of security groups and rules consume theirs the same way. */
const spares: Partial<Record<Fixture, string[]>> = { spareKeypair: spareKeypairs, spareSecurityGroup: [], spareSgRule: [], spareWebhook: [] };

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
      snapshots: null,
      snapshotGiB: null,
      publicIps: null,
      securityGroups: null,
      securityGroupRules: null,
      imageGiB: null,
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
  // Operators make public images, tenants private ones of their own.
  'POST /v1/images': { access: 'shared', body: () => ({ name: `iso-i-${randomUUID().slice(0, 8)}`, template: 'Debian Bookworm 12' }) },
  'GET /v1/images': { access: 'shared' },
  'GET /v1/images/:id': { access: 'shared', params: { id: 'image' } },
  'PATCH /v1/images/:id': { access: 'operator', params: { id: 'spareImage' }, body: () => ({ name: 'iso-spare-i' }) },
  'DELETE /v1/images/:id': { access: 'tenant', params: { id: 'spareOwnImage' } },
  'PUT /v1/images/:id/file': { access: 'tenant', params: { id: 'ownImage' }, headers: { 'content-type': 'application/octet-stream' } },
  'GET /v1/images/:id/file': { access: 'tenant', params: { id: 'ownImage' }, readStatus: 422 },
  'POST /v1/vms/:id/image': { access: 'tenant', params: { id: 'vm' }, body: () => ({ name: `iso-cap-${randomUUID().slice(0, 8)}` }) },
  'POST /v1/pools': {
    access: 'operator',
    body: () => ({ name: `iso-p-${randomUUID().slice(0, 8)}`, url: 'http://127.0.0.1:9', username: 'root', password: 'iso-secret' }),
  },
  'GET /v1/pools': { access: 'operator' },
  'GET /v1/pools/:id': { access: 'operator', params: { id: 'pool' } },
  'PATCH /v1/pools/:id': { access: 'operator', params: { id: 'pool' }, body: () => ({ weight: 1 }) },
  'POST /v1/pools/:id/identity': { access: 'operator', params: { id: 'pool' }, body: () => ({ action: 'revert' }) },
  'GET /v1/pools/:id/templates': { access: 'operator', params: { id: 'pool' } },
  'GET /v1/hosts': { access: 'operator' },
  'POST /v1/hosts/:id/maintenance': { access: 'operator', params: { id: 'host' }, body: () => ({ enabled: false }) },
  'POST /v1/vms': { access: 'tenant', body: (f) => ({ name: 'iso-vm', flavorId: f.flavor, imageId: f.image }) },
  'GET /v1/vms': { access: 'tenant' },
  'GET /v1/vms/:id': { access: 'tenant', params: { id: 'vm' } },
  'GET /v1/vms/:id/usage': { access: 'tenant', params: { id: 'vm' }, query: 'from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z' },
  'PATCH /v1/vms/:id': { access: 'tenant', params: { id: 'vm' }, body: (f) => ({ flavorId: f.bigFlavor }) },
  'POST /v1/vms/:id/actions': { access: 'tenant', params: { id: 'vm' }, body: () => ({ action: 'stop' }) },
  'DELETE /v1/vms/:id': { access: 'tenant', params: { id: 'vm' } },
  'POST /v1/vms/:id/console': { access: 'tenant', params: { id: 'vm' } },
  'GET /v1/vms/:id/nics': { access: 'tenant', params: { id: 'vm' } },
  'POST /v1/vms/:id/nics': { access: 'tenant', params: { id: 'vm' }, body: (f) => ({ networkId: f.network }) },
  'DELETE /v1/vms/:id/nics/:nicId': { access: 'tenant', params: { id: 'vm', nicId: 'nic' } },
  'PUT /v1/vms/:id/nics/:nicId': { access: 'tenant', params: { id: 'vm', nicId: 'nic' }, body: () => ({ securityGroupIds: [] }) },
  'POST /v1/networks': { access: 'tenant', body: () => ({ name: 'iso-net', cidr: '10.9.0.0/24' }) },
  'GET /v1/networks': { access: 'tenant' },
  'GET /v1/networks/:id': { access: 'tenant', params: { id: 'network' } },
  'PATCH /v1/networks/:id': { access: 'tenant', params: { id: 'network' }, body: () => ({ description: 'iso' }) },
  'DELETE /v1/networks/:id': { access: 'tenant', params: { id: 'network' } },
  'POST /v1/keypairs': { access: 'tenant', body: () => ({ name: `iso-kp-${randomUUID().slice(0, 8)}`, publicKey: ISO_PUBLIC_KEY }) },
  'GET /v1/keypairs': { access: 'tenant' },
  'GET /v1/keypairs/:id': { access: 'tenant', params: { id: 'keypair' } },
  'DELETE /v1/keypairs/:id': { access: 'tenant', params: { id: 'spareKeypair' } },
  // The backlog only (follow=false), so the matrix reads it like a list: B's never holds A's events.
  'GET /v1/events': { access: 'tenant', query: 'follow=false&after=0' },
  'POST /v1/webhooks': { access: 'tenant-admin', body: () => ({ url: 'http://93.184.215.14/iso-hook', events: ['vm.'] }) },
  'GET /v1/webhooks': { access: 'tenant' },
  'GET /v1/webhooks/:id': { access: 'tenant', params: { id: 'webhook' } },
  'DELETE /v1/webhooks/:id': { access: 'tenant-admin', params: { id: 'spareWebhook' } },
  'POST /v1/server-groups': { access: 'tenant', body: () => ({ name: `iso-sg-${randomUUID().slice(0, 8)}`, policy: 'soft-anti-affinity' }) },
  'GET /v1/server-groups': { access: 'tenant' },
  'GET /v1/server-groups/:id': { access: 'tenant', params: { id: 'serverGroup' } },
  // The group has a member, so its owner's delete is 409 in_use and the fixture outlives the matrix.
  'DELETE /v1/server-groups/:id': { access: 'tenant', params: { id: 'serverGroup' } },
  'POST /v1/security-groups': { access: 'tenant', body: () => ({ name: `iso-sg-${randomUUID().slice(0, 8)}` }) },
  'GET /v1/security-groups': { access: 'tenant' },
  'GET /v1/security-groups/:id': { access: 'tenant', params: { id: 'securityGroup' } },
  'PATCH /v1/security-groups/:id': { access: 'tenant', params: { id: 'securityGroup' }, body: () => ({ description: 'iso' }) },
  'DELETE /v1/security-groups/:id': { access: 'tenant', params: { id: 'spareSecurityGroup' } },
  'POST /v1/security-groups/:id/rules': {
    access: 'tenant',
    params: { id: 'securityGroup' },
    body: () => ({ direction: 'ingress', protocol: 'tcp', portMin: 22, remoteCidr: '0.0.0.0/0' }),
  },
  'GET /v1/security-groups/:id/rules': { access: 'tenant', params: { id: 'securityGroup' } },
  'GET /v1/security-groups/:id/rules/:ruleId': { access: 'tenant', params: { id: 'securityGroup', ruleId: 'sgRule' } },
  'DELETE /v1/security-groups/:id/rules/:ruleId': { access: 'tenant', params: { id: 'securityGroup', ruleId: 'spareSgRule' } },
  'POST /v1/volumes': { access: 'tenant', body: () => ({ name: 'iso-vol', sizeGiB: 1 }) },
  'GET /v1/volumes': { access: 'tenant' },
  'GET /v1/volumes/:id': { access: 'tenant', params: { id: 'volume' } },
  'PATCH /v1/volumes/:id': { access: 'tenant', params: { id: 'volume' }, body: () => ({ sizeGiB: 2 }) },
  'POST /v1/volumes/:id/actions': { access: 'tenant', params: { id: 'volume' }, body: (f) => ({ action: 'attach', vmId: f.vm }) },
  'DELETE /v1/volumes/:id': { access: 'tenant', params: { id: 'volume' } },
  'POST /v1/volume-types': { access: 'operator', body: () => ({ name: `iso-t-${randomUUID().slice(0, 8)}`, srUuid: randomUUID() }) },
  'GET /v1/volume-types': { access: 'shared' },
  'POST /v1/vms/:id/snapshots': { access: 'tenant', params: { id: 'vm' }, body: () => ({ name: `iso-s-${randomUUID().slice(0, 8)}` }) },
  'GET /v1/vms/:id/snapshots': { access: 'tenant', params: { id: 'vm' } },
  'POST /v1/volumes/:id/snapshots': { access: 'tenant', params: { id: 'volume' }, body: () => ({ name: `iso-s-${randomUUID().slice(0, 8)}` }) },
  'GET /v1/volumes/:id/snapshots': { access: 'tenant', params: { id: 'volume' } },
  'GET /v1/snapshots': { access: 'tenant' },
  'GET /v1/snapshots/:id': { access: 'tenant', params: { id: 'snapshot' } },
  'POST /v1/snapshots/:id/revert': { access: 'tenant', params: { id: 'snapshot' } },
  'DELETE /v1/snapshots/:id': { access: 'tenant', params: { id: 'snapshot' } },
  'POST /v1/provider-networks': {
    access: 'operator',
    body: () => ({
      name: `iso-pn-${randomUUID().slice(0, 8)}`,
      cidr: '198.51.100.0/24',
      gateway: '198.51.100.1',
      allocationPools: [{ start: '198.51.100.10', end: '198.51.100.20' }],
      xapiNetwork: randomUUID(),
    }),
  },
  // Shared with every tenant: any key reads it (one shared with named tenants only is 404 to the others: provider-networks.int-spec).
  'GET /v1/provider-networks': { access: 'shared' },
  'GET /v1/provider-networks/:id': { access: 'shared', params: { id: 'providerNetwork' } },
  'PATCH /v1/provider-networks/:id': { access: 'operator', params: { id: 'providerNetwork' }, body: () => ({ dnsServers: ['198.51.100.53'] }) },
  'DELETE /v1/provider-networks/:id': { access: 'operator', params: { id: 'providerNetwork' } },
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
      items: ['vm-hour', 'vcpu-hour', 'memory-gib-hour', 'disk-gib-hour', 'network-hour', 'volume-gib-hour', 'public-ip-hour'].map((sku) => ({
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
/** The web console's session routes: login takes no key, and a bearer request has no session (sessions.int-spec has the cookies). */
const SESSIONS = new Set(['POST /v1/sessions', 'GET /v1/sessions/current', 'DELETE /v1/sessions/current']);
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
    return (spares[kind] && f === fx ? spares[kind].pop() : f[kind]) ?? randomUUID();
  });
const send = (
  r: ServedRoute & { rule: Rule },
  token: string | null,
  opts: { path?: string; query?: string; headers?: Record<string, string> } = {},
) => {
  const query = [r.rule.query, opts.query?.replace(/^\?/, '')].filter(Boolean).join('&');
  const headers = { ...r.rule.headers, ...opts.headers };
  return api.call(r.method, `${opts.path ?? pathOf(r)}${query ? `?${query}` : ''}`, { token, body: r.rule.body?.(fx), headers });
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
  const group = await api.call('POST', '/v1/server-groups', { token: A.admin, body: { name: 'a-group', policy: 'soft-anti-affinity' } });
  const member = await api.call('POST', '/v1/vms', {
    token: A.admin,
    body: { name: 'a-member', flavorId: flavor.body.id, imageId: image.body.id, serverGroupId: group.body.id },
  });
  assert.equal(member.status, 202, JSON.stringify(member.body));
  const ownImage = async (name: string) =>
    (await api.call('POST', '/v1/images', { token: A.admin, body: { name, template: 'Debian Bookworm 12' } })).body.id as string;
  const [own, spareOwn] = [await ownImage('a-own'), await ownImage('a-own-spare')];
  const providerNetwork = await api.call('POST', '/v1/provider-networks', {
    body: {
      name: 'iso-public',
      cidr: '203.0.113.0/24',
      gateway: '203.0.113.1',
      allocationPools: [{ start: '203.0.113.10', end: '203.0.113.20' }],
      xapiNetwork: randomUUID(),
    },
  });
  assert.equal(providerNetwork.status, 202, JSON.stringify(providerNetwork.body));
  const [operatorKey, spareOperatorKey] = [
    (await api.call('POST', '/v1/operator-keys', { body: { name: 'iso-op' } })).body,
    (await api.call('POST', '/v1/operator-keys', { body: { name: 'iso-op-spare' } })).body,
  ];
  const keypair = async (name: string) =>
    (await api.call('POST', '/v1/keypairs', { token: A.admin, body: { name, publicKey: ISO_PUBLIC_KEY } })).body.id as string;
  const kp = await keypair('a-key');
  for (let i = 0; i < 12; i++) spareKeypairs.push(await keypair(`a-spare-${i}`));
  const webhook = async () =>
    (await api.call('POST', '/v1/webhooks', { token: A.admin, body: { url: 'http://93.184.215.14/iso-hook' } })).body.id as string;
  const hook = await webhook();
  for (let i = 0; i < 12; i++) spares.spareWebhook!.push(await webhook());
  const securityGroup = async (name: string) => (await api.call('POST', '/v1/security-groups', { token: A.admin, body: { name } })).body.id as string;
  const sg = await securityGroup('a-sg');
  const sgRule = async () =>
    (
      await api.call('POST', `/v1/security-groups/${sg}/rules`, {
        token: A.admin,
        body: { direction: 'egress', protocol: 'any', remoteCidr: '0.0.0.0/0' },
      })
    ).body.id as string;
  const firstRule = await sgRule();
  for (let i = 0; i < 12; i++) spares.spareSecurityGroup!.push(await securityGroup(`a-sg-spare-${i}`));
  for (let i = 0; i < 12; i++) spares.spareSgRule!.push(await sgRule());
  // As if a worker had finished both creations (none runs here), so that actions, resizes and deletes can be accepted.
  const db = new pg.Client({ connectionString: api.db.url });
  await db.connect();
  await db.query(`UPDATE operations SET status = 'succeeded' WHERE resource_id = ANY($1)`, [
    [vm.body.vm.id, network.body.network.id, volume.body.volume.id],
  ]);
  await db.query(`UPDATE volumes SET status = 'available' WHERE id = $1`, [volume.body.volume.id]);
  await db.query(`UPDATE vms SET status = 'running' WHERE id = $1`, [vm.body.vm.id]);
  const host = randomUUID();
  await db.query(
    `INSERT INTO hosts (id, pool_id, xapi_uuid, name, address, enabled, live, memory_total_bytes, memory_free_bytes, cpu_count)
     VALUES ($1, $2, $3, 'iso-h1', '10.0.0.1', true, true, 68719476736, 68719476736, 64)`,
    [host, pool.id, randomUUID()],
  );
  await db.query(`UPDATE networks SET status = 'active' WHERE id = $1`, [network.body.network.id]);
  // A NIC added to the running VM, as if its worker had plugged it.
  const nic = await api.call('POST', `/v1/vms/${vm.body.vm.id}/nics`, { token: A.admin, body: { networkId: network.body.network.id } });
  assert.equal(nic.status, 202, JSON.stringify(nic.body));
  await db.query(`UPDATE operations SET status = 'succeeded' WHERE id = $1`, [nic.body.operation.id]);
  await db.query(`UPDATE vm_nics SET status = 'attached' WHERE id = $1`, [nic.body.nic.id]);
  const snapshot = await api.call('POST', `/v1/vms/${vm.body.vm.id}/snapshots`, { token: A.admin, body: { name: 'a-snap' } });
  assert.equal(snapshot.status, 202, JSON.stringify(snapshot.body));
  await db.query(`UPDATE operations SET status = 'succeeded' WHERE id = $1`, [snapshot.body.operation.id]);
  await db.query(`UPDATE snapshots SET status = 'available', presence = 'present' WHERE id = $1`, [snapshot.body.snapshot.id]);
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
    nic: nic.body.nic.id,
    snapshot: snapshot.body.snapshot.id,
    providerNetwork: providerNetwork.body.id,
    period: '2026-01',
    flavor: flavor.body.id,
    bigFlavor: big.body.id,
    image: image.body.id,
    spareFlavor: spareFlavor.body.id,
    spareImage: spareImage.body.id,
    keypair: kp,
    spareKeypair: '',
    webhook: hook,
    spareWebhook: '',
    serverGroup: group.body.id,
    host,
    securityGroup: sg,
    spareSecurityGroup: '',
    sgRule: firstRule,
    spareSgRule: '',
    ownImage: own,
    spareOwnImage: spareOwn,
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
    const unclassified = served.filter((r) => !ROUTES[r.key] && !PUBLIC.has(r.key) && !SESSIONS.has(r.key) && !isDocs(r)).map((r) => r.key);
    assert.deepEqual(unclassified, [], 'classify these routes in isolation.int-spec.ts');
    const keys = new Set(served.map((r) => r.key));
    const stale = [...Object.keys(ROUTES), ...PUBLIC, ...SESSIONS].filter((k) => !keys.has(k) && !ROUTES[k]?.upcoming);
    assert.deepEqual(stale, [], 'these classified routes are no longer served');
    for (const r of routes) assert.deepEqual(Object.keys(r.rule.params ?? {}).sort(), [...r.params].sort(), `${r.key}: classify each path parameter`);
    assert.ok(routes.length >= 25, `only ${routes.length} routes`);
  });

  test('public routes answer without a key (every other route is in the matrix below)', async () => {
    for (const key of PUBLIC) assert.equal((await api.call(key.split(' ')[0], key.split(' ')[1], { token: null })).status, 200, key);
  });

  test('login takes no key; a bearer request has no session to show or end, whoever holds the key', async () => {
    assert.equal((await api.call('POST', '/v1/sessions', { token: null, body: {} })).body.code, 'validation_failed');
    assert.equal((await api.call('POST', '/v1/sessions', { token: null, body: { apiKey: B.revoked } })).status, 401);
    for (const token of [A.admin, A.member, B.admin])
      for (const method of ['GET', 'DELETE']) assert.equal((await api.call(method, '/v1/sessions/current', { token })).status, 404, method);
  });
});

describe("tenant B and tenant A's resources", () => {
  let snapshot: Record<string, unknown>;
  const sweepIds: string[] = [];
  /** What A (and an operator, for A's tenant) can see of A's things, to prove B changed none of it. */
  const view = async () => {
    const out: Record<string, unknown> = {};
    for (const r of of('tenant', 'tenant-admin').filter((x) => x.method === 'GET' && x.path !== '/v1/audit')) {
      const body = (await send(r, A.admin)).body;
      // A refusal names its own request; the rest of it must not change.
      out[r.key] = r.rule.readStatus ? { ...body, requestId: undefined } : body;
    }
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
    const aIds = [
      A.id,
      fx.vm,
      fx.operation,
      fx.network,
      fx.keypair,
      fx.webhook,
      fx.snapshot,
      fx.securityGroup,
      fx.sgRule,
      fx.ownImage,
      fx.spareOwnImage,
      ...A.keyIds,
    ];
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
    if (r.method === 'GET' ? res.status !== (r.rule.readStatus ?? 200) : !(res.status < 300 || res.status === 409 || res.status === 422))
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
