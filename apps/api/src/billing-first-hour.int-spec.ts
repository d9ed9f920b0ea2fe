// Billing's first hour (issue 14): zero-priced usage in the configured currency, prices for whole hours
// (effectiveFrom), the hours not rated yet as estimates, and one VM's usage for its tenant.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataSource } from 'typeorm';
import { SKUS, UsageRepository, aggregateUsage, checkFocusCsv } from '@xenplane/accounting';
import { createTestDatabase } from '@xenplane/testing';
import { OPERATOR_TOKEN, startApi, type ApiHarness } from './testing/api-harness.js';

const HOUR = 3_600_000;
const hourOf = (ms: number) => Math.floor(ms / HOUR) * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

let api: ApiHarness;
let ds: DataSource;
before(async () => {
  api = await startApi({ BILLING_CURRENCY: 'CHF' });
  ds = await new DataSource({ type: 'postgres', url: api.db.url }).initialize();
});
after(async () => {
  await ds?.destroy();
  await api?.close();
});

async function tenantWithVms(h: ApiHarness, name: string, n: number) {
  const t = (await h.call('POST', '/v1/tenants', { body: { name } })).body;
  const token = (await h.call('POST', `/v1/tenants/${t.id}/api-keys`, { body: { name: 'adm', role: 'admin' } })).body.token as string;
  const flavor = (await h.call('POST', '/v1/flavors', { body: { name: `${name}-f`, vcpus: 2, memoryMiB: 1024, diskGiB: 4 } })).body.id;
  const image = (await h.call('POST', '/v1/images', { body: { name: `${name}-i`, template: 'Debian Bookworm 12' } })).body.id;
  const vms: string[] = [];
  for (let i = 0; i < n; i++) {
    const vm = await h.call('POST', '/v1/vms', { token, body: { name: `${name}-${i}`, flavorId: flavor, imageId: image } });
    assert.equal(vm.status, 202, JSON.stringify(vm.body));
    vms.push(vm.body.vm.id);
  }
  return { id: t.id as string, token, vms };
}

/** What the worker writes once XAPI runs the VM; its events are then moved `minutesAgo` back (the trial began then). */
async function runningSince(db: DataSource, vm: string, minutesAgo: number): Promise<number> {
  await db.query(`UPDATE vms SET xapi_uuid = $2, presence = 'present', status = 'running', power_state = 'Running' WHERE id = $1`, [vm, `x-${vm}`]);
  // An UPDATE … RETURNING answers [rows, count] through TypeORM.
  const [[{ at }]] = await db.query(
    `UPDATE usage_events SET occurred_at = date_trunc('second', now()) - make_interval(mins => $2) WHERE resource_id = $1 RETURNING occurred_at AS at`,
    [vm, minutesAgo],
  );
  await db.query(`UPDATE usage_dirty SET since = $2 WHERE resource_id = $1`, [vm, at]);
  return new Date(at).getTime();
}

type Item = { tenantId: string; sku: string; seconds: number; quantity: string; cost: string; currency: string | null; estimated: boolean };
const pick = (items: Item[], sku: string, estimated: boolean) => items.find((i) => i.sku === sku && i.estimated === estimated);

describe('before any price: zero, in BILLING_CURRENCY, seen at once as an estimate', () => {
  let t: Awaited<ReturnType<typeof tenantWithVms>>;
  let started: number;

  test('a trial started 90 minutes ago sees its usage before any aggregation: estimated, zero-priced, in CHF', async () => {
    t = await tenantWithVms(api, 'trial', 2);
    started = await runningSince(ds, t.vms[0], 90);
    const window = `from=${iso(hourOf(started))}&to=${iso(hourOf(Date.now()) + HOUR)}`;
    const u = await api.call('GET', `/v1/usage?${window}`, { token: t.token });
    assert.equal(u.status, 200, JSON.stringify(u.body));
    assert.equal(u.body.ratedThrough, null, 'nothing is rated yet');
    const vmHour = pick(u.body.items, 'vm-hour', true)!;
    assert.ok(vmHour, JSON.stringify(u.body.items));
    // Counted to the instant the answer names: the running hour so far, exactly.
    assert.equal(vmHour.seconds, Math.floor(Date.parse(u.body.asOf) / 1000) - started / 1000);
    assert.equal(pick(u.body.items, 'vcpu-hour', true)!.seconds, vmHour.seconds);
    for (const i of u.body.items as Item[]) assert.deepEqual([i.currency, Number(i.cost), i.estimated], ['CHF', 0, true], i.sku);
    assert.equal((await api.call('GET', '/v1/prices')).body.currency, 'CHF', 'the zero-price list is in the configured currency');
  });

  test('once aggregated, the ended hours are rated (CHF, zero) and only the running one stays estimated; exports hold rated rows only', async () => {
    await aggregateUsage(ds, new UsageRepository(), { graceMs: 0 });
    const now = Date.now();
    const u = (await api.call('GET', `/v1/usage?from=${iso(hourOf(started))}&to=${iso(hourOf(now) + 2 * HOUR)}`, { token: t.token })).body;
    const through = Date.parse(u.ratedThrough);
    assert.ok(through >= hourOf(now) - HOUR && through % HOUR === 0, u.ratedThrough);
    const rated = pick(u.items, 'vm-hour', false)!;
    const running = pick(u.items, 'vm-hour', true)!;
    assert.equal(rated.seconds, (through - started) / 1000, 'every ended hour, rated');
    assert.equal(running.seconds, Math.floor(Date.parse(u.asOf) / 1000) - through / 1000, 'the running hour so far');
    assert.deepEqual([rated.currency, Number(rated.cost)], ['CHF', 0]);

    const period = iso(through - 1).slice(0, 7);
    const res = await fetch(`${api.url}/v1/billing/export?period=${period}&format=focus`, { headers: { authorization: `Bearer ${t.token}` } });
    const csv = await res.text();
    assert.equal(res.status, 200, csv);
    assert.deepEqual(checkFocusCsv(csv), []);
    const lines = csv.trim().split('\n');
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM usage_records WHERE tenant_id = $1 AND to_char(billing_period, 'YYYY-MM') = $2`, [
      t.id,
      period,
    ]);
    assert.equal(lines.length - 1, n, 'one line per rated record: estimates never reach a file');
    const currencyAt = lines[0].split(',').indexOf('BillingCurrency');
    assert.ok(lines.slice(1).every((l) => l.split(',')[currencyAt] === 'CHF'));
    const inv = (await api.call('GET', `/v1/billing/invoices?period=${period}`, { token: t.token })).body;
    assert.deepEqual(
      inv.items.map((i: { currency: string; total: string }) => [i.currency, i.total]),
      [['CHF', '0.00']],
    );
  });

  test("one VM's usage: its own sku rows only, for its tenant; another tenant's VM is 404 like a missing one", async () => {
    const second = await runningSince(ds, t.vms[1], 30);
    const window = `from=${iso(hourOf(started))}&to=${iso(hourOf(Date.now()) + 2 * HOUR)}`;
    const one = await api.call('GET', `/v1/vms/${t.vms[1]}/usage?${window}`, { token: t.token });
    assert.equal(one.status, 200, JSON.stringify(one.body));
    assert.equal(one.body.vmId, t.vms[1]);
    const vmHour = pick(one.body.items, 'vm-hour', true)!;
    // Its own run only (30 minutes, not the first VM's 90), from the later of its start and the rated hours' end.
    const since = Math.max(second, Date.parse(one.body.ratedThrough));
    assert.equal(vmHour.seconds, Math.floor(Date.parse(one.body.asOf) / 1000) - since / 1000);
    assert.ok(pick(one.body.items, 'disk-gib-hour', true), 'its disk is its usage too');
    assert.equal(pick(one.body.items, 'vm-hour', false), undefined, 'nothing of it is rated yet');
    const all = (await api.call('GET', `/v1/usage?${window}`, { token: t.token })).body;
    assert.ok(pick(all.items, 'vm-hour', true)!.seconds > vmHour.seconds, 'the tenant total counts both VMs');

    const other = await tenantWithVms(api, 'nosy', 0);
    const theirs = await api.call('GET', `/v1/vms/${t.vms[1]}/usage?${window}`, { token: other.token });
    const missing = await api.call('GET', `/v1/vms/00000000-0000-4000-8000-000000000000/usage?${window}`, { token: other.token });
    assert.deepEqual([theirs.status, theirs.body.code], [404, 'not_found']);
    assert.equal(theirs.body.detail.replace(t.vms[1], '<id>'), missing.body.detail.replace('00000000-0000-4000-8000-000000000000', '<id>'));
    const op = await api.call('GET', `/v1/vms/${t.vms[1]}/usage?${window}&tenantId=${t.id}`, { token: OPERATOR_TOKEN });
    assert.equal(op.status, 200);
    assert.equal(
      pick(op.body.items, 'vm-hour', true)!.seconds,
      Math.floor(Date.parse(op.body.asOf) / 1000) - since / 1000,
      'the operator sees the same VM',
    );
  });
});

describe('prices apply to whole hours: the answer says which (effectiveFrom)', () => {
  const items = (price: string) => SKUS.map((sku) => ({ sku, unitPrice: price }));

  test('in the configured currency only', async () => {
    const other = await api.call('PUT', '/v1/prices', { body: { currency: 'EUR', effectiveFrom: '2099-01-01T00:00:00Z', items: items('1') } });
    assert.equal(other.status, 400, JSON.stringify(other.body));
    assert.deepEqual(
      other.body.errors.map((e: { path: string }) => e.path),
      ['currency'],
    );
    const named = await api.call('PUT', '/v1/prices', { body: { currency: 'CHF', effectiveFrom: '2099-01-01T00:00:00Z', items: items('1') } });
    assert.deepEqual([named.status, named.body.currency], [200, 'CHF']);
  });

  test('set during an hour not rated yet: from that hour; set for an instant in a rated hour: from the next one; earlier: 409', async () => {
    // Every ended hour rated: the running one is the first that is not.
    await aggregateUsage(ds, new UsageRepository(), { graceMs: 0 });
    const now = Date.now();
    assert.equal((await api.call('GET', '/v1/usage?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z')).body.ratedThrough, iso(hourOf(now)));
    const current = await api.call('PUT', '/v1/prices', { body: { items: items('0.5') } });
    assert.equal(current.status, 200, JSON.stringify(current.body));
    assert.deepEqual(
      [current.body.effectiveFrom, current.body.currency],
      [iso(hourOf(now)), 'CHF'],
      'the running hour is not rated: it gets the price',
    );

    const inRatedHour = await api.call('PUT', '/v1/prices', { body: { effectiveFrom: iso(hourOf(now) - HOUR / 2), items: items('0.25') } });
    assert.equal(inRatedHour.status, 200, JSON.stringify(inRatedHour.body));
    assert.equal(inRatedHour.body.effectiveFrom, iso(hourOf(now)), 'that hour is rated: from the next one');
    assert.equal(inRatedHour.body.version, current.body.version, 'a version for the same unrated hour is replaced, not doubled');
    assert.equal((await api.call('GET', '/v1/prices')).body.items[0].unitPrice, '0.250000');

    const tooEarly = await api.call('PUT', '/v1/prices', { body: { effectiveFrom: iso(hourOf(now) - 2 * HOUR), items: items('9') } });
    assert.equal(tooEarly.status, 409);
    assert.equal(tooEarly.body.ratedThrough, iso(hourOf(now)));

    const u = (await api.call('GET', `/v1/usage?from=${iso(hourOf(now))}&to=${iso(hourOf(now) + HOUR)}`)).body;
    const vmHour = (u.items as Item[]).find((i) => i.sku === 'vm-hour' && i.estimated)!;
    assert.equal(Number(vmHour.cost), Number(vmHour.quantity) / 4, 'the running hour is estimated with the new price');
    const rated = (await api.call('GET', `/v1/usage?from=${iso(hourOf(now) - 3 * HOUR)}&to=${iso(hourOf(now))}`)).body.items as Item[];
    assert.ok(rated.length && rated.every((i) => !i.estimated && Number(i.cost) === 0), 'rated hours keep their price');
  });
});

describe('BILLING_CURRENCY not configured', () => {
  test('usage has no currency yet, prices and billing files are refused naming the setting; configuring it adopts the zero-priced usage', async () => {
    const db = await createTestDatabase();
    const bare = await startApi({ BILLING_CURRENCY: '' }, { attachTo: db });
    try {
      const put = await bare.call('PUT', '/v1/prices', { body: { currency: 'EUR', items: SKUS.map((sku) => ({ sku, unitPrice: '1' })) } });
      assert.deepEqual([put.status, put.body.code], [409, 'billing_currency_not_configured']);
      assert.match(put.body.detail, /BILLING_CURRENCY/);
      assert.equal((await bare.call('GET', '/v1/prices')).body.currency, null, 'never a silent USD');
      const t = await tenantWithVms(bare, 'bare', 1);
      const bareDs = await new DataSource({ type: 'postgres', url: db.url }).initialize();
      try {
        const started = await runningSince(bareDs, t.vms[0], 70);
        await aggregateUsage(bareDs, new UsageRepository(), { graceMs: 0 });
        const u = (await bare.call('GET', `/v1/usage?from=${iso(hourOf(started))}&to=${iso(hourOf(Date.now()) + HOUR)}`, { token: t.token })).body;
        assert.ok(u.items.length && u.items.every((i: Item) => i.currency === null && Number(i.cost) === 0), JSON.stringify(u.items));
        const period = iso(hourOf(Date.now()) - 1).slice(0, 7);
        for (const path of [`/v1/billing/export?period=${period}&format=focus`, `/v1/billing/invoices?period=${period}`]) {
          const r = await bare.call('GET', path, { token: t.token });
          assert.deepEqual([r.status, r.body.code], [409, 'billing_currency_not_configured'], path);
        }
        await bare.close();

        const configured = await startApi({ BILLING_CURRENCY: 'JPY' }, { attachTo: db });
        try {
          const inv = (await configured.call('GET', `/v1/billing/invoices?period=${period}`, { token: t.token })).body;
          assert.deepEqual(
            inv.items.map((i: { currency: string; total: string }) => [i.currency, i.total]),
            [['JPY', '0']],
          );
          const priced = await configured.call('PUT', '/v1/prices', {
            body: { effectiveFrom: '2099-01-01T00:00:00Z', items: SKUS.map((sku) => ({ sku, unitPrice: '1' })) },
          });
          assert.equal(priced.body.currency, 'JPY');
        } finally {
          await configured.close();
        }
        // Prices exist now: the API refuses to start without the setting, or with another currency.
        await assert.rejects(startApi({ BILLING_CURRENCY: '' }, { attachTo: db }), /BILLING_CURRENCY is required: prices are set in JPY/);
        await assert.rejects(startApi({ BILLING_CURRENCY: 'EUR' }, { attachTo: db }), /BILLING_CURRENCY is EUR but prices are set in JPY/);
      } finally {
        await bareDs.destroy();
      }
    } finally {
      await bare.close().catch(() => undefined);
      await db.drop();
    }
  });
});
