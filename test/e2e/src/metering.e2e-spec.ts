// Issue 7 end to end with the real processes: lifecycle through the API, metered by the worker, priced, exported.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { checkFocusCsv } from '@xenplane/accounting';
import { bruteForceSeconds } from '@xenplane/accounting/testing';
import { eventually } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

let stack: Stack;
let db: pg.Pool;
before(async () => {
  stack = await startStack({}, { USAGE_GRACE_MS: '0', USAGE_AGGREGATE_INTERVAL_MS: '300' });
  db = new pg.Pool({ connectionString: stack.db.url, max: 2 });
});
after(async () => {
  await db?.end();
  await stack?.stop();
});

const SKUS = ['vm-hour', 'vcpu-hour', 'memory-gib-hour', 'disk-gib-hour', 'network-hour'];

test('create, stop, resize, start and delete through the API bill exactly what ran, at the prices in force', { timeout: 240_000 }, async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const prices = {
    'vm-hour': '0.010000',
    'vcpu-hour': '0.020000',
    'memory-gib-hour': '0.004000',
    'disk-gib-hour': '0.000100',
    'network-hour': '0.030000',
  } as Record<string, string>;
  const put = await op('PUT', '/v1/prices', {
    currency: 'EUR',
    effectiveFrom: '2026-04-01T00:00:00Z',
    items: SKUS.map((sku) => ({ sku, unitPrice: prices[sku] })),
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const small = (await op('POST', '/v1/flavors', { name: 'm-small', vcpus: 1, memoryMiB: 512, diskGiB: 10 })).body.id;
  const big = (await op('POST', '/v1/flavors', { name: 'm-big', vcpus: 2, memoryMiB: 1024, diskGiB: 10 })).body.id;
  const image = (await op('POST', '/v1/images', { name: 'm-deb', template: 'Debian Bookworm 12' })).body.id;
  const t = await op('POST', '/v1/tenants', { name: 'metered-co' });
  const me = client(stack.api.url, (await op('POST', `/v1/tenants/${t.body.id}/api-keys`, { name: 'k', role: 'admin' })).body.token);
  const settle = async (r: { status: number; body: any }) => {
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const done = await eventually(
      'operation',
      async () => {
        const o = (await me('GET', `/v1/operations/${r.body.operation.id}`)).body;
        return o.status === 'succeeded' || o.status === 'failed' ? o : undefined;
      },
      60_000,
    );
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
  };
  const net = await me('POST', '/v1/networks', { name: 'lan', cidr: '10.5.0.0/24' });
  await settle(net);
  const created = await me('POST', '/v1/vms', { name: 'billed', flavorId: small, imageId: image });
  await settle(created);
  const vm = created.body.vm.id as string;
  await settle(await me('POST', `/v1/vms/${vm}/actions`, { action: 'stop' }));
  await settle(await me('PATCH', `/v1/vms/${vm}`, { flavorId: big }));
  await settle(await me('POST', `/v1/vms/${vm}/actions`, { action: 'start' }));
  await settle(await me('DELETE', `/v1/vms/${vm}`));
  await settle(await me('DELETE', `/v1/networks/${net.body.network.id}`));

  // Clock speed-up: one real second of this run becomes one billed hour, starting 2026-05-01.
  const {
    rows: [{ first }],
  } = await db.query(`SELECT min(occurred_at) AS first FROM usage_events WHERE tenant_id = $1`, [t.body.id]);
  await db.query(`UPDATE usage_events SET occurred_at = timestamptz '2026-05-01T00:00:00Z' + (occurred_at - $2) * 3600 WHERE tenant_id = $1`, [
    t.body.id,
    first,
  ]);
  await db.query(
    `INSERT INTO usage_dirty (resource_id, since) SELECT DISTINCT resource_id, timestamptz '2026-05-01T00:00:00Z' FROM usage_events WHERE tenant_id = $1
    ON CONFLICT (resource_id) DO UPDATE SET since = EXCLUDED.since`,
    [t.body.id],
  );
  const { rows: events } = await db.query(
    `SELECT resource_id, kind, (extract(epoch FROM occurred_at) * 1000)::float8 AS at, id::text AS key, attrs
    FROM usage_events WHERE tenant_id = $1 ORDER BY id`,
    [t.body.id],
  );
  assert.deepEqual(
    events.filter((e) => e.resource_id === vm).map((e) => e.kind),
    ['created', 'running', 'stopped', 'resized', 'running', 'stopped', 'deleted'],
  );
  const expected: Record<string, number> = {};
  for (const id of new Set(events.map((e) => e.resource_id))) {
    const mine = events.filter((e) => e.resource_id === id);
    const got = bruteForceSeconds(mine.map((e) => ({ kind: e.kind, at: Number(e.at), key: e.key, attrs: e.attrs })));
    if (id !== vm) got['network-hour'] = got['disk-gib-hour'] ?? { seconds: 0, consumed: 0 }; // a network's existence, metered like a disk of size 1
    if (id !== vm) delete got['disk-gib-hour'];
    for (const [sku, v] of Object.entries(got)) expected[sku] = (expected[sku] ?? 0) + v.seconds;
  }

  const window = '?from=2026-05-01T00:00:00Z&to=2026-06-01T00:00:00Z';
  const usage = await eventually(
    'usage aggregated',
    async () => {
      const u = (await me('GET', `/v1/usage${window}`)).body;
      const seconds = Object.fromEntries(u.items.map((i: { sku: string; seconds: number }) => [i.sku, i.seconds]));
      return JSON.stringify(seconds) === JSON.stringify(Object.fromEntries(Object.keys(seconds).map((k) => [k, expected[k]]))) &&
        Object.keys(seconds).length === Object.keys(expected).length
        ? u
        : undefined;
    },
    60_000,
  );
  const by = Object.fromEntries(usage.items.map((i: { sku: string }) => [i.sku, i]));
  assert.ok(by['vm-hour'].seconds > 0 && by['vcpu-hour'].seconds === by['vm-hour'].seconds);
  assert.ok(Number(by['vcpu-hour'].consumedQuantity) > by['vm-hour'].seconds, 'the resized run counts 2 vCPUs');
  for (const i of usage.items) {
    const rows = (
      await db.query(`SELECT sum(unit_price * pricing_quantity)::text AS c FROM usage_records WHERE tenant_id = $1 AND sku = $2`, [t.body.id, i.sku])
    ).rows[0];
    assert.equal(Number(i.cost), Number(rows.c), i.sku);
  }
  const res = await fetch(`${stack.api.url}/v1/billing/export?period=2026-05&format=focus&tenantId=${t.body.id}`, {
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
  });
  const csv = await res.text();
  assert.deepEqual(checkFocusCsv(csv), []);
  assert.ok(csv.includes('metered-co') && csv.includes(',EUR,'));
});
