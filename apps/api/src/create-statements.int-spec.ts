// Issue 20: one POST /v1/vms (Idempotency-Key, quota, one NIC with its address) is a fixed, small number of SQL statements.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { requestContext } from '@xenplane/core';
import { startApi, tenantWithKey, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let db: pg.Pool;
let tenant: { id: string; token: string };
let flavorId: string;
let imageId: string;
let networkId: string;

// Every statement any pg client of this process sends for a request (TypeORM's pool and the lock clients alike);
// background passes a request wakes (the event hub's read after NOTIFY) run outside its context.
let statements: string[] | null = null;
const query = Reflect.get(pg.Client.prototype, 'query') as (this: pg.Client, ...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const q = args[0];
  if (requestContext.current()) statements?.push(typeof q === 'string' ? q : ((q as { text?: string })?.text ?? String(q)));
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

before(async () => {
  api = await startApi();
  db = new pg.Pool({ connectionString: api.db.url, max: 1 });
  tenant = await tenantWithKey(api, 'counted');
  await api.call('PUT', `/v1/tenants/${tenant.id}/quota`, { body: { vms: 100, vcpus: 100, memoryMiB: 100_000, diskGiB: 1000 } });
  flavorId = (await api.call('POST', '/v1/flavors', { body: { name: 'counted', vcpus: 1, memoryMiB: 256, diskGiB: 1 } })).body.id;
  imageId = (await api.call('POST', '/v1/images', { body: { name: 'counted', template: 'Debian Bookworm 12' } })).body.id;
  const net = await api.call('POST', '/v1/networks', { token: tenant.token, body: { name: 'counted', cidr: '10.47.0.0/24' } });
  assert.equal(net.status, 202, JSON.stringify(net.body));
  networkId = net.body.network.id;
  // What the worker leaves once the network exists on the pool.
  await db.query(`UPDATE networks SET status = 'active', presence = 'present', xapi_uuid = gen_random_uuid()::text WHERE id = $1`, [networkId]);
  await db.query(`UPDATE operations SET status = 'succeeded' WHERE id = $1`, [net.body.operation.id]);
  // warm: the key's authentication and whatever a first request caches
  await create('warm', 'k-warm');
});
after(async () => {
  await db?.end();
  await api?.close();
});

function create(name: string, key: string) {
  return api.call('POST', '/v1/vms', {
    token: tenant.token,
    body: { name, flavorId, imageId, networkIds: [networkId] },
    headers: { 'idempotency-key': key },
  });
}

describe('POST /v1/vms statements (Idempotency-Key, quota, one NIC)', () => {
  test('a create is a fixed number of SQL statements', async () => {
    statements = [];
    const r = await create('one', 'k-one');
    const sql = statements;
    statements = null;
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.vm.nics.length, 1);
    assert.match(r.body.vm.nics[0].ip, /^10\.47\.0\./);
    assert.equal(sql.length, 19, sql.join('\n'));
  });
});
