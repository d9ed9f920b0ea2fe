// P1–P5 of accounting.md §4.1 against a real Postgres: conservation, no gap/overlap, idempotent replay, crash safety,
// late events before and after a period closes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@xenplane/testing';
import { UsageRepository } from './usage.repository.js';
import { aggregateUsage } from './usage-aggregator.js';
import { bruteForceSeconds, randomVmHistory, type TestEvent } from '../testing/usage-fixtures.js';

let db: TestDatabase;
let ds: DataSource;
let repo: UsageRepository;
const tenantId = randomUUID();
const poolId = randomUUID();

async function append(resourceId: string, type: 'vm' | 'network', events: TestEvent[]): Promise<number> {
  return repo.appendEvents(
    ds.manager,
    events.map((e) => ({
      source: 'test',
      sourceKey: `${resourceId}:${e.key}`,
      tenantId,
      poolId,
      resourceId,
      resourceType: type,
      kind: e.kind,
      occurredAt: new Date(e.at),
      attrs: e.attrs,
    })),
  );
}
const run = async () => {
  for (;;) if (!(await aggregateUsage(ds, repo, { graceMs: 0 })).more) return;
};
const rows = async (where = 'true', args: unknown[] = []) =>
  await ds.query<Record<string, unknown>[]>(
    `SELECT resource_id, sku, to_char(window_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') AS h, billing_period::text AS period, charge_class, seconds,
     consumed_quantity::text AS q, pricing_quantity::text AS pq, cost::text AS cost, price_version
   FROM usage_records WHERE ${where} ORDER BY resource_id, sku, window_start, billing_period`,
    args,
  );

before(async () => {
  db = await createTestDatabase();
  ds = new DataSource({ type: 'postgres', url: db.url });
  await ds.initialize();
  repo = new UsageRepository();
});
after(async () => {
  await ds?.destroy();
  await db?.drop();
});

describe('hourly usage records', () => {
  const june = randomUUID();
  test('P2: a VM running all of a 30-day month bills exactly 720 hours, tiling the month with no gap or overlap', async () => {
    await append(june, 'vm', [
      { key: 'c', kind: 'created', at: Date.parse('2026-06-01T00:00:00.400Z'), attrs: { vcpus: 2, memoryMiB: 1536, diskGiB: 10, name: 'june' } },
      { key: 'r', kind: 'running', at: Date.parse('2026-06-01T00:00:00.400Z'), attrs: { vcpus: 2, memoryMiB: 1536, diskGiB: 10, name: 'june' } },
      { key: 's', kind: 'stopped', at: Date.parse('2026-07-01T00:00:00.900Z'), attrs: {} },
      { key: 'd', kind: 'deleted', at: Date.parse('2026-08-01T00:00:00Z'), attrs: {} },
    ]);
    await run();
    const vm = await rows(`resource_id = $1 AND sku = 'vm-hour'`, [june]);
    assert.equal(vm.length, 720);
    assert.ok(vm.every((r) => r.seconds === 3600 && r.pq === '1.000000' && r.period === '2026-06-01'));
    assert.equal(vm[0].h, '2026-06-01T00');
    assert.equal(vm.at(-1)!.h, '2026-06-30T23');
    const mem = await rows(`resource_id = $1 AND sku = 'memory-gib-hour'`, [june]);
    assert.ok(mem.every((r) => Number(r.q) === 3600 * 1.5 && r.pq === '1.500000'));
    const disk = await rows(`resource_id = $1 AND sku = 'disk-gib-hour'`, [june]);
    assert.equal(disk.length, 31 * 24 + 30 * 24 - 0, 'the disk lives from June 1 to August 1');
  });

  test('P1: seconds per resource and sku equal an independent per-second computation from the raw events', async () => {
    const histories = Array.from({ length: 6 }, (_, i) => ({
      id: randomUUID(),
      events: randomVmHistory(1000 + i, Date.parse('2026-09-01T00:00:00Z'), 3),
    }));
    for (const h of histories) await append(h.id, 'vm', h.events);
    await run();
    for (const h of histories) {
      const expected = bruteForceSeconds(h.events);
      const got = await ds.query(
        `SELECT sku, sum(seconds)::int AS s, sum(consumed_quantity)::text AS q FROM usage_records WHERE resource_id = $1 GROUP BY sku`,
        [h.id],
      );
      const actual = Object.fromEntries(got.map((r: { sku: string; s: number; q: string }) => [r.sku, { seconds: r.s, consumed: Number(r.q) }]));
      assert.deepEqual(actual, expected, `resource ${h.id}`);
    }
    const over = await ds.query(
      `SELECT count(*)::int AS n FROM (SELECT resource_id, sku, window_start FROM usage_records GROUP BY 1, 2, 3 HAVING sum(seconds) > 3600) x`,
    );
    assert.equal(over[0].n, 0);
  });

  test('P3: replaying the whole log shuffled with duplicates changes no record, byte for byte', async () => {
    const before = JSON.stringify(await rows());
    const all = await ds.query(
      `SELECT source, source_key, tenant_id, pool_id, resource_id, resource_type, kind, occurred_at, attrs FROM usage_events`,
    );
    const replay = [...all, ...all]
      .sort(() => Math.random() - 0.5)
      .map((e: Record<string, unknown>) => ({
        source: e.source as string,
        sourceKey: e.source_key as string,
        tenantId: e.tenant_id as string,
        poolId: e.pool_id as string,
        resourceId: e.resource_id as string,
        resourceType: e.resource_type as 'vm',
        kind: e.kind as string,
        occurredAt: e.occurred_at as Date,
        attrs: e.attrs as object,
      }));
    assert.equal(await repo.appendEvents(ds.manager, replay), 0);
    // Force every resource through re-derivation and recomputation as if all its events were new.
    await ds.query(
      `INSERT INTO usage_dirty (resource_id, since) SELECT resource_id, min(occurred_at) FROM usage_events GROUP BY 1 ON CONFLICT DO NOTHING`,
    );
    await run();
    assert.equal(JSON.stringify(await rows()), before);
  });

  test('P4: a pass killed at any statement leaves the previous state; the next pass gives the clean result', async () => {
    const late = randomUUID();
    await append(late, 'network', [
      { key: 'c', kind: 'created', at: Date.parse('2026-09-01T10:20:00Z'), attrs: { name: 'net' } },
      { key: 'd', kind: 'deleted', at: Date.parse('2026-09-02T10:20:00Z'), attrs: {} },
    ]);
    const snapshot = async () =>
      JSON.stringify([await rows(), await ds.query(`SELECT * FROM usage_dirty ORDER BY 1`), await ds.query(`SELECT * FROM usage_watermark`)]);
    const start = await snapshot();
    for (let k = 1; ; k++) {
      let calls = 0;
      const crashing = new Proxy(repo, {
        get: (t, p) => {
          const v = (t as never)[p] as unknown;
          return typeof v === 'function'
            ? (...a: unknown[]) => {
                if (++calls === k) throw new Error(`crash at statement ${k}`);
                return (v as (...x: unknown[]) => unknown).apply(t, a);
              }
            : v;
        },
      });
      const crashed = await aggregateUsage(ds, crashing, { graceMs: 0 }).then(
        () => false,
        () => true,
      );
      if (!crashed) break; // k went past the last statement: this pass completed
      assert.equal(await snapshot(), start, `state after a crash at statement ${k}`);
    }
    const rowsOf = await rows(`resource_id = $1`, [late]);
    assert.equal(rowsOf.length, 25);
    assert.deepEqual([rowsOf[0].seconds, rowsOf.at(-1)!.seconds], [2400, 1200]);
  });

  test('P5: a late event before close rewrites only its windows; after close it becomes Correction rows in the next open period', async () => {
    const id = randomUUID();
    const a = { vcpus: 1, memoryMiB: 512, diskGiB: 1, name: 'late' };
    await append(id, 'vm', [
      { key: 'c', kind: 'created', at: Date.parse('2026-10-30T00:00:00Z'), attrs: a },
      { key: 'r', kind: 'running', at: Date.parse('2026-10-30T00:00:00Z'), attrs: a },
    ]);
    await run();
    const others = JSON.stringify(await rows(`resource_id <> $1`, [id]));
    await append(id, 'vm', [{ key: 's', kind: 'stopped', at: Date.parse('2026-10-30T05:30:00Z'), attrs: {} }]);
    await run();
    assert.equal(JSON.stringify(await rows(`resource_id <> $1`, [id])), others, 'nobody else changed');
    assert.equal(
      (await rows(`resource_id = $1 AND sku = 'vm-hour'`, [id])).reduce((s, r) => s + Number(r.seconds), 0),
      5.5 * 3600,
    );

    await ds.query(`INSERT INTO billing_periods (period, closed_at, sha256) VALUES ('2026-10-01', now(), 'x')`);
    const closed = JSON.stringify(await rows(`billing_period = '2026-10-01'`));
    await append(id, 'vm', [
      { key: 'r2', kind: 'running', at: Date.parse('2026-10-31T22:00:00Z'), attrs: a },
      { key: 's2', kind: 'stopped', at: Date.parse('2026-10-31T23:15:00Z'), attrs: {} },
    ]);
    await run();
    assert.equal(JSON.stringify(await rows(`billing_period = '2026-10-01'`)), closed, 'a closed period never changes');
    const corrections = await rows(`resource_id = $1 AND charge_class = 'Correction'`, [id]);
    assert.deepEqual(
      corrections.filter((r) => r.sku === 'vm-hour').map((r) => [r.h, r.period, r.seconds]),
      [
        ['2026-10-31T22', '2026-11-01', 3600],
        ['2026-10-31T23', '2026-11-01', 900],
      ],
      'the next open period after October is November',
    );
  });
});
