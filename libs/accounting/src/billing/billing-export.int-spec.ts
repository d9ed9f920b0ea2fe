// The product path end to end on Postgres: a churned month for three tenants with a mid-month price change,
// aggregated, exported as FOCUS and checked rule by rule; stable bytes; closing freezes it; late events correct it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@xenplane/testing';
import { aggregateUsage } from '../aggregation/usage-aggregator.js';
import { randomVmHistory } from '../testing/usage-fixtures.js';
import { UsageRepository } from '../aggregation/usage.repository.js';
import { billingPeriodAt, parseBillingPeriod, type BillingPeriod } from '../billing-period.js';
import { parseCsv } from '../csv-codec.js';
import { checkFocusCsv } from '../focus-conformance.js';
import { SKUS } from '../skus.js';
import { BillingRepository } from './billing.repository.js';
import { PeriodsRepository } from './periods.repository.js';
import { exportChunks, periodRows } from './billing-export.js';

let db: TestDatabase;
let ds: DataSource;
let usage: UsageRepository;
let periods: PeriodsRepository;
const provider = { name: 'Xenplane Cloud' };
const september = parseBillingPeriod('2026-09');
const tenants = [randomUUID(), randomUUID(), randomUUID()];
const pool = randomUUID();

const text = async (format: 'focus' | 'csv' | 'json', tenantId?: string) => {
  let out = '';
  for await (const chunk of periods.stream(september, format, provider, tenantId)) out += chunk;
  return out;
};
const run = async () => {
  for (;;) if (!(await aggregateUsage(ds, usage, { graceMs: 0 })).more) return;
};
// As the API closes a period: in one REPEATABLE READ transaction.
const close = (period: BillingPeriod) => ds.transaction('REPEATABLE READ', (tx) => periods.close(tx, period, provider));

before(async () => {
  db = await createTestDatabase();
  ds = new DataSource({ type: 'postgres', url: db.url });
  await ds.initialize();
  usage = new UsageRepository();
  periods = new PeriodsRepository(ds);
  const billing = new BillingRepository(ds);
  const price = (p: string) => SKUS.map((sku) => ({ sku, unitPrice: p }));
  assert.ok('version' in (await ds.transaction((tx) => billing.addPriceVersion(tx, new Date('2026-08-01T00:00:00Z'), 'EUR', price('0.010000')))));
  assert.ok('version' in (await ds.transaction((tx) => billing.addPriceVersion(tx, new Date('2026-09-15T00:00:00Z'), 'EUR', price('0.012500')))));
  const events = [];
  for (const [t, tenantId] of tenants.entries()) {
    for (let v = 0; v < 4; v++) {
      const vm = randomUUID();
      for (const e of randomVmHistory(100 * t + v, september.startMs, 29)) {
        events.push({
          source: 'test',
          sourceKey: `${vm}:${e.key}`,
          tenantId,
          poolId: pool,
          resourceId: vm,
          resourceType: 'vm' as const,
          kind: e.kind,
          occurredAt: new Date(e.at),
          attrs: e.attrs,
        });
      }
    }
    const net = randomUUID();
    for (const [kind, at] of [
      ['created', '2026-09-03T08:30:00Z'],
      ['deleted', '2026-09-20T17:45:30Z'],
    ] as const) {
      events.push({
        source: 'test',
        sourceKey: `${net}:${kind}`,
        tenantId,
        poolId: pool,
        resourceId: net,
        resourceType: 'network' as const,
        kind,
        occurredAt: new Date(at),
        attrs: { name: `net-${t}` },
      });
    }
    // A volume made, grown and deleted within the month (volume-gib-hour, sized by diskGiB as the trigger records it).
    const vol = randomUUID();
    for (const [kind, at, diskGiB] of [
      ['created', '2026-09-05T10:15:20Z', 50],
      ['resized', '2026-09-12T00:30:00Z', 80],
      ['deleted', '2026-09-25T06:00:10Z', 80],
    ] as const) {
      events.push({
        source: 'test',
        sourceKey: `${vol}:${kind}`,
        tenantId,
        poolId: pool,
        resourceId: vol,
        resourceType: 'volume' as const,
        kind,
        occurredAt: new Date(at),
        attrs: { name: `vol-${t}`, diskGiB },
      });
    }
    // A snapshot kept for part of the month (snapshot-gib-hour at the GiB it copies).
    const snap = randomUUID();
    for (const [kind, at] of [
      ['created', '2026-09-08T03:00:07Z'],
      ['deleted', '2026-09-20T18:45:00Z'],
    ] as const) {
      events.push({
        source: 'test',
        sourceKey: `${snap}:${kind}`,
        tenantId,
        poolId: pool,
        resourceId: snap,
        resourceType: 'snapshot' as const,
        kind,
        occurredAt: new Date(at),
        attrs: { name: `snap-${t}`, diskGiB: 10 },
      });
    }
    // A provider network address held for part of the month (public-ip-hour, named by the address as the trigger records it).
    const ip = randomUUID();
    for (const [kind, at] of [
      ['created', '2026-09-04T09:10:11Z'],
      ['deleted', '2026-09-22T23:59:59Z'],
    ] as const) {
      events.push({
        source: 'test',
        sourceKey: `${ip}:${kind}`,
        tenantId,
        poolId: pool,
        resourceId: ip,
        resourceType: 'public-ip' as const,
        kind,
        occurredAt: new Date(at),
        attrs: { name: `203.0.113.${t}` },
      });
    }
  }
  await usage.appendEvents(ds.manager, events);
  await run();
});
after(async () => {
  await ds?.destroy();
  await db?.drop();
});

describe('billing export of a generated month', () => {
  test('the FOCUS file passes every rule of the conformance checker, on every row', async () => {
    const csv = await text('focus');
    const rows = parseCsv(csv);
    assert.ok(rows.length > 1000, `${rows.length} rows`);
    assert.deepEqual(checkFocusCsv(csv), []);
    const skus = new Set(rows.slice(1).map((r) => r[rows[0].indexOf('SkuId')]));
    assert.deepEqual([...skus].sort(), [...SKUS].sort(), 'every sku is in the month');
    const versions = new Set(rows.slice(1).map((r) => r[rows[0].indexOf('x_PriceVersionId')]));
    assert.equal(versions.size, 2, 'both price versions were used');
  });

  test('the same bytes every time, in every format; a tenant file is exactly its rows of the full file', async () => {
    for (const format of ['focus', 'csv', 'json'] as const) assert.equal(await text(format), await text(format), format);
    const json = JSON.parse(await text('json'));
    assert.ok(Array.isArray(json) && json.length > 1000);
    const all = (await text('focus')).split('\n');
    const one = (await text('focus', tenants[1])).split('\n');
    assert.deepEqual(one.slice(1), all.filter((l) => l.includes(tenants[1])).concat(['']));
  });

  test('the file Postgres writes (COPY) is byte for byte the file buildFocusRow makes, odd names and corrections included', async () => {
    // Names that need quoting, are blank, empty, or not ASCII, in a month of their own.
    const odd = ['a,b', 'say "hi"', 'two\nlines', '   ', '', '\u00a0\u2003', 'naïve – 東京', "it's"];
    await ds.query(
      `INSERT INTO usage_records (resource_id, sku, window_start, billing_period, charge_class, tenant_id, pool_id, resource_type, resource_name,
         tenant_name, pool_name, seconds, consumed_quantity, pricing_quantity, price_version, unit_price, cost)
       SELECT gen_random_uuid(), sku, timestamptz '2026-07-01T00:00:00Z' + (n % 24) * interval '1 hour', '2026-07-01',
         CASE WHEN n % 5 = 0 THEN 'Correction' END, $2::uuid, $3::uuid, 'vm', ($1::text[])[1 + n % 8], ($1::text[])[1 + (n + 3) % 8],
         CASE WHEN n % 2 = 0 THEN 'pool, "one"' ELSE '' END, 3600, 7200.5, 2.000139, 1, 0.0125, 0.025001737500
       FROM generate_series(0, 79) n CROSS JOIN unnest($4::text[]) sku`,
      [odd, tenants[0], pool, SKUS],
    );
    const july = parseBillingPeriod('2026-07');
    const reference = async (period: BillingPeriod, tenantId?: string) => {
      const runner = ds.createQueryRunner();
      await runner.connect();
      try {
        await runner.startTransaction('REPEATABLE READ');
        let out = '';
        for await (const c of exportChunks(periodRows(runner.manager, period, tenantId), 'focus', provider)) out += c;
        await runner.commitTransaction();
        return out;
      } finally {
        await runner.release();
      }
    };
    const copied = async (period: BillingPeriod, tenantId?: string) => {
      let out = '';
      for await (const c of periods.stream(period, 'focus', provider, tenantId)) out += c;
      return out;
    };
    for (const [period, tenantId] of [[september], [september, tenants[2]], [july], [july, tenants[0]]] as const) {
      const want = await reference(period, tenantId);
      assert.ok(want.split('\n').length > 100);
      assert.equal(await copied(period, tenantId), want, `${period.label} ${tenantId ?? 'all'}`);
    }
    await ds.query(`DELETE FROM usage_records WHERE billing_period = '2026-07-01'`);
  });

  test('a reader that stops early releases the export: the pool keeps serving', async () => {
    for (let i = 0; i < 12; i++) {
      for await (const chunk of periods.stream(september, 'focus', provider)) if (chunk.length) break;
    }
    assert.equal((await ds.query(`SELECT 1 AS one`))[0].one, 1);
  });

  test("money adds up: the file's BilledCost per tenant equals the records, and costs are price × quantity", async () => {
    const [header, ...rows] = parseCsv(await text('focus'));
    const col = (n: string) => header.indexOf(n);
    const perTenant = new Map<string, number>();
    for (const r of rows)
      perTenant.set(r[col('BillingAccountId')]!, (perTenant.get(r[col('BillingAccountId')]!) ?? 0) + Number(r[col('BilledCost')]));
    const sums = await ds.query(`SELECT tenant_id, sum(cost)::text AS s FROM usage_records WHERE billing_period = '2026-09-01' GROUP BY 1`);
    for (const s of sums) assert.ok(Math.abs(perTenant.get(s.tenant_id)! - Number(s.s)) < 1e-6, s.tenant_id);
    const bad = await ds.query(`SELECT count(*)::int AS n FROM usage_records WHERE cost <> unit_price * pricing_quantity`);
    assert.equal(bad[0].n, 0);
  });

  test('closing freezes the file: its hash is stored; a late event lands as Correction rows of the next period', async () => {
    const before = await text('focus');
    const closed = await close(september);
    assert.ok('sha256' in closed);
    const again = await close(september);
    assert.ok('refused' in again && again.refused === 'already_closed');
    const vm = randomUUID();
    const a = { vcpus: 2, memoryMiB: 1024, diskGiB: 4, name: 'late' };
    await usage.appendEvents(ds.manager, [
      {
        source: 'test',
        sourceKey: `${vm}:r`,
        tenantId: tenants[0],
        poolId: pool,
        resourceId: vm,
        resourceType: 'vm',
        kind: 'running',
        occurredAt: new Date('2026-09-30T22:30:00Z'),
        attrs: a,
      },
      {
        source: 'test',
        sourceKey: `${vm}:d`,
        tenantId: tenants[0],
        poolId: pool,
        resourceId: vm,
        resourceType: 'vm',
        kind: 'deleted',
        occurredAt: new Date('2026-10-01T00:30:00Z'),
        attrs: {},
      },
    ]);
    await run();
    assert.equal(await text('focus'), before, 'the closed file did not change');
    const { createHash } = await import('node:crypto');
    assert.equal(createHash('sha256').update(before).digest('hex'), (closed as { sha256: string }).sha256);
    const corrections = await ds.query(
      `SELECT sku, to_char(window_start AT TIME ZONE 'UTC', 'HH24:MI') AS h, billing_period::text AS p, seconds
      FROM usage_records WHERE resource_id = $1 AND charge_class = 'Correction' ORDER BY sku, window_start`,
      [vm],
    );
    assert.deepEqual(
      corrections.filter((c: { sku: string }) => c.sku === 'vm-hour'),
      [
        { sku: 'vm-hour', h: '22:00', p: '2026-10-01', seconds: 1800 },
        { sku: 'vm-hour', h: '23:00', p: '2026-10-01', seconds: 3600 },
      ],
    );
    let october = '';
    for await (const chunk of periods.stream(parseBillingPeriod('2026-10'), 'focus', provider)) october += chunk;
    assert.deepEqual(checkFocusCsv(october), []);
    assert.ok(october.includes(',Correction,'));
  });

  test('a period with unrated hours cannot close, nor one not begun', async () => {
    const r = await close(billingPeriodAt(Date.now()));
    assert.ok('refused' in r && r.refused === 'not_rated');
    const later = await close(parseBillingPeriod('2099-01'));
    assert.ok('refused' in later && later.refused === 'out_of_range');
  });
});
