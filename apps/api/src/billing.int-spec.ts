// Prices and usage through the API, fed by the real metering path: VM row changes -> trigger events -> aggregation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataSource } from 'typeorm';
import { createHash } from 'node:crypto';
import { UsageRepository, aggregateUsage, checkFocusCsv } from '@xenplane/accounting';
import { startApi, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let ds: DataSource;
const skus = ['vm-hour', 'vcpu-hour', 'memory-gib-hour', 'disk-gib-hour', 'network-hour'];
const prices = { 'vm-hour': '0.01', 'vcpu-hour': '0.02', 'memory-gib-hour': '0.005', 'disk-gib-hour': '0.0001', 'network-hour': '0.03' } as Record<
  string,
  string
>;

before(async () => {
  api = await startApi();
  ds = new DataSource({ type: 'postgres', url: api.db.url });
  await ds.initialize();
});
after(async () => {
  await ds?.destroy();
  await api?.close();
});

async function tenant(name: string) {
  const t = await api.call('POST', '/v1/tenants', { body: { name } });
  const k = await api.call('POST', `/v1/tenants/${t.body.id}/api-keys`, { body: { name: 'admin', role: 'admin' } });
  return { id: t.body.id as string, token: k.body.token as string };
}

describe('prices', () => {
  test('bad price lists are refused with field paths, never half-stored', async () => {
    const items = skus.map((sku) => ({ sku, unitPrice: prices[sku] }));
    const cases: [unknown, string][] = [
      [{ currency: 'EUR', items: items.slice(1) }, 'items'],
      [{ currency: 'EUR', items: [...items.slice(1), items[1]] }, 'items'],
      [{ currency: 'EUR', items: items.map((i, n) => (n ? i : { ...i, unitPrice: '-1' })) }, 'items.0.unitPrice'],
      [{ currency: 'EUR', items: items.map((i, n) => (n ? i : { ...i, unitPrice: '1e3' })) }, 'items.0.unitPrice'],
      [{ currency: 'euro', items }, 'currency'],
      [{ currency: 'EUR', items, effectiveFrom: 'tomorrow' }, 'effectiveFrom'],
    ];
    for (const [body, path] of cases) {
      const r = await api.call('PUT', '/v1/prices', { body });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.ok(
        r.body.errors.some((e: { path: string }) => e.path.startsWith(path)),
        `${path}: ${JSON.stringify(r.body.errors)}`,
      );
    }
    assert.equal((await api.call('GET', '/v1/prices')).body.version, 1, 'still the seeded zero-price list');
  });

  test('before the first price list there is none: 404 with a code, not a 500', async () => {
    const r = await api.call('GET', '/v1/prices?at=1969-12-31T23:59:59Z');
    assert.equal(r.status, 404, JSON.stringify(r.body));
    assert.equal(r.body.code, 'not_found');
    assert.match(r.body.detail, /no price list was in force at 1969-12-31T23:59:59/);
  });

  test("an item's unit, as API.md documents it, is accepted when it is the sku's and refused naming it otherwise", async () => {
    const shown = (await api.call('GET', '/v1/prices')).body.items as { sku: string; unit: string }[];
    const unitOf = new Map(shown.map((i) => [i.sku, i.unit]));
    const items = skus.map((sku) => ({ sku, unitPrice: prices[sku], unit: unitOf.get(sku) }));
    const wrong = await api.call('PUT', '/v1/prices', {
      body: { currency: 'EUR', effectiveFrom: '2098-01-01T00:00:00Z', items: items.map((i, n) => (n === 2 ? { ...i, unit: 'Days' } : i)) },
    });
    assert.equal(wrong.status, 400, JSON.stringify(wrong.body));
    assert.deepEqual(wrong.body.errors, [{ path: 'items.2.unit', message: `must be '${unitOf.get(skus[2])}' for ${skus[2]}` }]);
    const put = await api.call('PUT', '/v1/prices', { body: { currency: 'EUR', effectiveFrom: '2098-01-01T00:00:00Z', items } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    for (const i of put.body.items as { sku: string; unit: string }[]) assert.equal(i.unit, unitOf.get(i.sku), i.sku);
  });
});

describe('usage from VM row changes', () => {
  test('a VM started then stopped is metered from the transitions, rated with the prices in force, per tenant', async () => {
    const a = await tenant('bill-a');
    const b = await tenant('bill-b');
    const flavor = (await api.call('POST', '/v1/flavors', { body: { name: 'b2', vcpus: 2, memoryMiB: 1536, diskGiB: 10 } })).body.id;
    const image = (await api.call('POST', '/v1/images', { body: { name: 'b-deb', template: 'Debian Bookworm 12' } })).body.id;
    const vm = (await api.call('POST', '/v1/vms', { token: a.token, body: { name: 'metered', flavorId: flavor, imageId: image } })).body.vm.id;
    // What the worker writes as XAPI confirms each step: clone exists and runs, later stops.
    await ds.query(`UPDATE vms SET xapi_uuid = 'x-metered', presence = 'present', status = 'running', power_state = 'Running' WHERE id = $1`, [vm]);
    await ds.query(`UPDATE vms SET status = 'stopped', power_state = 'Halted', host_uuid = NULL WHERE id = $1`, [vm]);
    const kinds = await ds.query(`SELECT kind FROM usage_events WHERE resource_id = $1 ORDER BY id`, [vm]);
    assert.deepEqual(
      kinds.map((k: { kind: string }) => k.kind),
      ['created', 'running', 'stopped'],
    );
    // Injected times: the run lasted 2.5 hours on Feb 1st.
    await ds.query(
      `UPDATE usage_events SET occurred_at = CASE kind WHEN 'stopped' THEN timestamptz '2026-02-01T02:30:00Z' ELSE timestamptz '2026-02-01T00:00:00Z' END WHERE resource_id = $1`,
      [vm],
    );
    await ds.query(`UPDATE usage_dirty SET since = '2026-02-01T00:00:00Z' WHERE resource_id = $1`, [vm]);

    const put = await api.call('PUT', '/v1/prices', {
      body: { currency: 'EUR', effectiveFrom: '2026-01-01T00:00:00Z', items: skus.map((sku) => ({ sku, unitPrice: prices[sku] })) },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(
      put.body.items.find((i: { sku: string }) => i.sku === 'vcpu-hour'),
      { sku: 'vcpu-hour', unitPrice: '0.020000', unit: 'Core-Hours' },
    );
    await aggregateUsage(ds, new UsageRepository(), { graceMs: 0 });

    const window = '?from=2026-02-01T00:00:00Z&to=2026-02-02T00:00:00Z';
    const mine = await api.call('GET', `/v1/usage${window}`, { token: a.token });
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    const by = Object.fromEntries(mine.body.items.map((i: { sku: string }) => [i.sku, i]));
    assert.deepEqual([by['vm-hour'].seconds, by['vm-hour'].quantity, Number(by['vm-hour'].cost)], [9000, '2.500000', 0.025]);
    assert.deepEqual([by['vcpu-hour'].quantity, by['vcpu-hour'].unit, Number(by['vcpu-hour'].cost)], ['5.000000', 'Core-Hours', 0.1]);
    assert.deepEqual([by['memory-gib-hour'].quantity, Number(by['memory-gib-hour'].consumedQuantity)], ['3.750000', 9000 * 1.5]);
    assert.equal(by['disk-gib-hour'].quantity, '240.000000', 'the disk is billed all day, stopped or not');

    assert.deepEqual((await api.call('GET', `/v1/usage${window}`, { token: b.token })).body.items, []);
    assert.equal((await api.call('GET', `/v1/usage${window}&tenantId=${a.id}`, { token: b.token })).status, 404);
    const all = await api.call('GET', `/v1/usage${window}`);
    assert.ok(all.body.items.every((i: { tenantId: string }) => i.tenantId === a.id) && all.body.items.length === 4);

    const late = await api.call('PUT', '/v1/prices', {
      body: { currency: 'EUR', effectiveFrom: '2026-02-01T01:00:00Z', items: skus.map((sku) => ({ sku, unitPrice: '9' })) },
    });
    assert.equal(late.status, 409, 'hours already rated keep their prices');
    assert.equal(late.body.code, 'prices_already_rated');
    assert.match(late.body.ratedThrough, /^2026-/);
    assert.equal((await api.call('GET', '/v1/prices?at=2026-01-15T00:00:00Z')).body.currency, 'EUR');
    assert.equal((await api.call('GET', `/v1/usage?from=2026-02-02T00:00:00Z&to=2026-02-01T00:00:00Z`, { token: a.token })).status, 400);
  });
});

describe('billing files', () => {
  test('a tenant streams its FOCUS file (conformant), metadata is served beside it, and closing freezes the bytes', async () => {
    const a = await tenant('file-a');
    const flavor = (await api.call('POST', '/v1/flavors', { body: { name: 'f1', vcpus: 1, memoryMiB: 512, diskGiB: 2 } })).body.id;
    const image = (await api.call('POST', '/v1/images', { body: { name: 'f-deb', template: 'Debian Bookworm 12' } })).body.id;
    const vm = (await api.call('POST', '/v1/vms', { token: a.token, body: { name: 'filed', flavorId: flavor, imageId: image } })).body.vm.id;
    await ds.query(`UPDATE vms SET xapi_uuid = 'x-filed', presence = 'present', status = 'running', power_state = 'Running' WHERE id = $1`, [vm]);
    await ds.query(`UPDATE usage_events SET occurred_at = '2026-03-31T23:20:00Z' WHERE resource_id = $1`, [vm]);
    await ds.query(
      `INSERT INTO usage_dirty (resource_id, since) VALUES ($1, '2026-03-31T23:20:00Z') ON CONFLICT (resource_id) DO UPDATE SET since = EXCLUDED.since`,
      [vm],
    );
    await aggregateUsage(ds, new UsageRepository(), { graceMs: 0 });

    const file = async (token?: string) => {
      const res = await fetch(`${api.url}/v1/billing/export?period=2026-04&format=focus`, {
        headers: { authorization: `Bearer ${token ?? 'test-operator-token-0123456789'}` },
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/csv/);
      return res.text();
    };
    const mine = await file(a.token);
    assert.deepEqual(checkFocusCsv(mine), []);
    assert.equal(mine.trim().split('\n').length - 1, 30 * 24 * 4, 'April: 720 hours of vm, vcpu, memory and disk');
    assert.ok(
      mine
        .split('\n')
        .slice(1, -1)
        .every((l) => l.includes(a.id)),
    );
    const meta = (await api.call('GET', '/v1/billing/export/metadata?period=2026-04')).body;
    assert.equal(meta.FocusVersion, '1.2');
    assert.ok(meta.ColumnDefinition.some((c: { ColumnName: string }) => c.ColumnName === 'BilledCost'));
    assert.equal(meta.x_Closed, false);

    const closed = await api.call('POST', '/v1/billing/periods/2026-04/close');
    assert.equal(closed.status, 200, JSON.stringify(closed.body));
    const all = await file();
    assert.equal(createHash('sha256').update(all).digest('hex'), closed.body.sha256);
    const again = await api.call('POST', '/v1/billing/periods/2026-04/close');
    assert.deepEqual([again.status, again.body.code, again.body.sha256], [409, 'period_closed', closed.body.sha256]);
    assert.equal((await api.call('POST', '/v1/billing/periods/2099-01/close')).status, 422, 'a month not begun yet');
    const meta2 = (await api.call('GET', '/v1/billing/export/metadata?period=2026-04')).body;
    assert.equal(meta2.x_Sha256, closed.body.sha256, JSON.stringify({ ...meta2, ColumnDefinition: undefined }));
    assert.deepEqual(
      (await api.call('GET', '/v1/billing/periods')).body.items.map((p: { period: string }) => p.period),
      ['2026-04'],
    );
    const inv = (await api.call('GET', '/v1/billing/invoices?period=2026-04', { token: a.token })).body;
    assert.deepEqual(
      inv.items.map((i: { tenantId: string; currency: string; rows: number }) => [i.tenantId, i.currency, i.rows]),
      [[a.id, 'EUR', 30 * 24 * 4]],
    );
    assert.match(inv.items[0].total, /^\d+\.\d{2}$/);
    assert.equal((await api.call('GET', '/v1/billing/export?period=2026-13')).status, 400);
    assert.equal((await api.call('GET', '/v1/billing/export?period=2026-04&format=xml')).status, 400);
  });
});
