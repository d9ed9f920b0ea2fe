// `npm run bench`: (1) a 1,000,000-row period exported as FOCUS CSV through our cursor vs psql's
// `\copy (SELECT … ORDER BY …) TO STDOUT` of the same rows (rows/s; the ratio is our formatting overhead), with peak
// RSS; (2) one hourly aggregation pass for 10,000 running VMs vs a bare INSERT … SELECT of the rows it writes.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { createTestDatabase } from '@xenplane/testing';
import { aggregateUsage } from '../aggregation/usage-aggregator.js';
import { UsageRepository } from '../aggregation/usage.repository.js';
import { parseBillingPeriod } from '../billing-period.js';
import { PeriodsRepository } from '../billing/periods.repository.js';

const exec = promisify(execFile);
const ROWS = 1_000_000;
const VMS = 10_000;
// `goal` (issue 20) is held against the ratio, or against the value where there is no baseline.
const out = (bench: string, metric: string, value: number, unit: string, baseline?: number, goal?: string) =>
  process.stdout.write(
    `${JSON.stringify({ bench, metric, value: Math.round(value), unit, ...(baseline !== undefined && { baseline: Math.round(baseline), ratio: Number((value / baseline).toFixed(2)) }), goal })}\n`,
  );

const db = await createTestDatabase();
const ds = new DataSource({ type: 'postgres', url: db.url, extra: { max: 4 } });
await ds.initialize();
try {
  // (1) One month of hourly rows for enough resources to make a million, straight into usage_records.
  const resources = Math.ceil(ROWS / 720);
  await ds.query(
    `
    INSERT INTO usage_records (resource_id, sku, window_start, billing_period, tenant_id, pool_id, resource_type, resource_name, tenant_name, pool_name,
      seconds, consumed_quantity, pricing_quantity, price_version, unit_price, cost)
    SELECT r.id, 'vcpu-hour', timestamptz '2026-01-01T00:00:00Z' + h * interval '1 hour', '2026-01-01', r.tenant, r.pool, 'vm', 'vm-' || r.n, 'tenant ' || (r.n % 50), 'pool-1',
      3600, 7200, 2, 1, 0, 0
    FROM (SELECT n, gen_random_uuid() AS id, ('00000000-0000-4000-8000-' || lpad((n % 50)::text, 12, '0'))::uuid AS tenant,
            '00000000-0000-4000-8000-100000000000'::uuid AS pool FROM generate_series(1, $1) n) r
    CROSS JOIN generate_series(0, 719) h LIMIT $2`,
    [resources, ROWS],
  );
  await ds.query(`ANALYZE usage_records`);
  const periods = new PeriodsRepository(ds);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  let bytes = 0;
  const t0 = performance.now();
  for await (const chunk of periods.stream(parseBillingPeriod('2026-01'), 'focus', { name: 'bench' })) bytes += chunk.length;
  const ours = performance.now() - t0;
  clearInterval(sampler);
  const sql = `SELECT r.*, pv.currency FROM usage_records r JOIN price_versions pv ON pv.id = r.price_version WHERE r.billing_period = '2026-01-01'
    ORDER BY r.tenant_id, r.window_start, ('vm/' || r.resource_id::text) COLLATE "C", r.sku COLLATE "C", (r.charge_class IS NOT NULL)`;
  const t1 = performance.now();
  await exec('sh', ['-c', `psql "${db.url}" -qAt -c "\\copy (${sql.replace(/"/g, '\\"')}) TO STDOUT WITH CSV" > /dev/null`], { maxBuffer: 1 << 20 });
  const copy = performance.now() - t1;
  out(
    'billing-export',
    `FOCUS export rows/s (${ROWS} rows, ${Math.round(bytes / 1e6)} MB) vs COPY TO STDOUT`,
    ROWS / (ours / 1000),
    'rows/s',
    ROWS / (copy / 1000),
    '>=0.5',
  );
  out('billing-export', 'peak RSS during the 1M-row export', peak / 1024 / 1024, 'MiB', undefined, '<256');

  // (2) 10,000 VMs running since 2026-03-01: derive their intervals, then time the pass that adds one hour.
  const repo = new UsageRepository();
  const tenant = randomUUID();
  const pool = randomUUID();
  const events = Array.from({ length: VMS }, (_, i) => {
    const id = randomUUID();
    const attrs = { vcpus: 1 + (i % 4), memoryMiB: 512 * (1 + (i % 8)), diskGiB: 10, name: `vm-${i}` };
    return (['created', 'running'] as const).map((kind) => ({
      source: 'bench',
      sourceKey: `${id}:${kind}`,
      tenantId: tenant,
      poolId: pool,
      resourceId: id,
      resourceType: 'vm' as const,
      kind,
      occurredAt: new Date('2026-03-01T00:00:00Z'),
      attrs,
    }));
  }).flat();
  for (let i = 0; i < events.length; i += 5000) await repo.appendEvents(ds.manager, events.slice(i, i + 5000));
  const holdAt = (iso: string) => Date.now() - Date.parse(iso); // a grace that stops the watermark at this hour
  const t4 = performance.now();
  for (;;) if (!(await aggregateUsage(ds, repo, { graceMs: holdAt('2026-03-01T00:30:00Z') })).more) break;
  const derive = performance.now() - t4;
  const t2 = performance.now();
  const pass = await aggregateUsage(ds, repo, { graceMs: holdAt('2026-03-01T01:30:00Z') });
  const aggregate = performance.now() - t2;
  if (pass.windowsAdded !== VMS * 4) throw new Error(`expected ${VMS * 4} records, got ${pass.windowsAdded}`);
  // The same rows written by a bare INSERT … SELECT: into an unindexed, unlogged temp table (as at filing), and into
  // usage_records itself (same indexes, foreign key and WAL as the pass), one hour on so the keys are new; rolled back.
  const bareInto = (target: 'temp' | 'usage_records') =>
    ds
      .transaction(async (tx) => {
        await tx.query(`CREATE TEMP TABLE saved ON COMMIT DROP AS SELECT * FROM usage_records WHERE window_start = '2026-03-01T00:00:00Z'`);
        await tx.query(`UPDATE saved SET window_start = window_start + interval '1 hour'`);
        if (target === 'temp') await tx.query(`CREATE TEMP TABLE copy_of ON COMMIT DROP AS SELECT * FROM usage_records WITH NO DATA`);
        const t3 = performance.now();
        await tx.query(`INSERT INTO ${target === 'temp' ? 'copy_of' : 'usage_records'} SELECT * FROM saved`);
        throw Object.assign(new Error('rollback'), { ms: performance.now() - t3 });
      })
      .catch((e: { ms?: number }) => {
        if (e.ms === undefined) throw e;
        return e.ms;
      });
  const bare = await bareInto('temp');
  const bareSame = await bareInto('usage_records');
  out(
    'usage-aggregation',
    `one hourly pass for ${VMS} running VMs (${pass.windowsAdded} records) vs a bare INSERT … SELECT of those rows into usage_records`,
    aggregate,
    'ms',
    bareSame,
    '<=10',
  );
  out('usage-aggregation', `the same pass vs a bare INSERT … SELECT into an unindexed temp table (the baseline at filing)`, aggregate, 'ms', bare);
  out('usage-aggregation', `deriving the intervals of ${VMS} new VMs (passes of 1000 dirty resources)`, derive, 'ms');
} finally {
  await ds.destroy();
  await db.drop();
}
