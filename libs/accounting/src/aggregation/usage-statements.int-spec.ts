// Issue 20: an aggregation pass is a fixed number of SQL statements, however many resources it re-derives.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DataSource, type Logger } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@xenplane/testing';
import { UsageRepository } from './usage.repository.js';
import { aggregateUsage } from './usage-aggregator.js';

let db: TestDatabase;
let ds: DataSource;
let statements = 0;
const counting: Logger = {
  logQuery: () => void statements++,
  logQueryError: () => {},
  logQuerySlow: () => {},
  logSchemaBuild: () => {},
  logMigration: () => {},
  log: () => {},
};
const repo = new UsageRepository();
const T0 = Date.parse('2026-05-01T00:00:00Z');
const holdAt = (ms: number) => Date.now() - ms; // a grace that stops the watermark at this instant's hour

before(async () => {
  db = await createTestDatabase();
  ds = new DataSource({ type: 'postgres', url: db.url, logging: ['query'], logger: counting });
  await ds.initialize();
});
after(async () => {
  await ds?.destroy();
  await db?.drop();
});

async function counted<T>(fn: () => Promise<T>): Promise<[T, number]> {
  statements = 0;
  const r = await fn();
  return [r, statements];
}

test('re-deriving 200 VMs and rating their hours, then recomputing them after late events, costs the same statements as one VM would', async () => {
  const tenantId = randomUUID();
  const poolId = randomUUID();
  const ids = Array.from({ length: 200 }, () => randomUUID());
  const event = (id: string, kind: 'created' | 'running' | 'stopped', at: number) => ({
    source: 'test',
    sourceKey: `${id}:${kind}`,
    tenantId,
    poolId,
    resourceId: id,
    resourceType: 'vm' as const,
    kind,
    occurredAt: new Date(at),
    attrs: { vcpus: 2, memoryMiB: 1024, diskGiB: 5, name: `vm-${id.slice(0, 4)}` },
  });
  await repo.appendEvents(
    ds.manager,
    ids.flatMap((id) => [event(id, 'created', T0), event(id, 'running', T0)]),
  );
  const [first, n1] = await counted(() => aggregateUsage(ds, repo, { graceMs: holdAt(T0 + 2.5 * 3600_000) }));
  assert.equal(first.resourcesRederived, 200);
  assert.equal(first.windowsAdded, 200 * 4 * 2);
  // begin, lock, watermark, first hour, set it, take dirty, events, delete + insert intervals, insert records, watermark, commit
  assert.equal(n1, 12);

  await repo.appendEvents(
    ds.manager,
    ids.map((id) => event(id, 'stopped', T0 + 1800_000)),
  );
  const [late, n2] = await counted(() => aggregateUsage(ds, repo, { graceMs: holdAt(T0 + 2.5 * 3600_000) }));
  assert.equal(late.resourcesRederived, 200);
  // begin, lock, watermark, take dirty, events, delete + insert intervals, recompute (delete, insert, corrections), commit
  assert.equal(n2, 11);
  const [{ seconds }] = await ds.query<{ seconds: number }[]>(`SELECT sum(seconds)::int AS seconds FROM usage_records WHERE sku = 'vm-hour'`);
  assert.equal(seconds, 200 * 1800, 'the late stop rewrote the hours it cut');
});
