// Streams a billing period's rated records from a Postgres cursor as FOCUS CSV, plain CSV or JSON: constant memory.
import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { to as copyTo, type CopyToStreamQuery } from 'pg-copy-streams';
import type { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner.js';
import type { EntityManager } from 'typeorm';
import { rows } from '@xenplane/core';
import { parseBillingPeriod, type BillingPeriod } from '../billing-period.js';
import { csvLine, csvStream } from '../csv-codec.js';
import { FOCUS_COLUMN_NAMES } from '../focus-columns.js';
import { buildFocusRow, type FocusRowInput, type ProviderIdentity } from '../focus-row.js';
import { focusCopySql } from './focus-copy.js';
import { USAGE_EXPORT_COLUMNS, jsonArrayStream, usageExportCells, usageExportRow } from '../usage-export.js';

export type ExportFormat = 'focus' | 'csv' | 'json';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['focus', 'csv', 'json'];

const BATCH = 2000;
const CHUNK = 64 * 1024;
const EXPORT_WORK_MEM = '256MB';

const EXPORT_FROM = `FROM usage_records r JOIN price_versions pv ON pv.id = r.price_version`;
// The total order of focus-row.ts's compareForExport, in SQL ("C" collation: byte order, like compareStrings).
const EXPORT_ORDER = `r.tenant_id, r.window_start,
    (CASE r.sku WHEN 'disk-gib-hour' THEN 'disk' WHEN 'network-hour' THEN 'network' WHEN 'volume-gib-hour' THEN 'volume' WHEN 'snapshot-gib-hour' THEN 'snapshot' WHEN 'public-ip-hour' THEN 'public-ip' ELSE 'vm' END || '/' || r.resource_id::text) COLLATE "C",
    r.sku COLLATE "C", (r.charge_class IS NOT NULL)`;
const EXPORT_SQL = `
  SELECT r.tenant_id, r.tenant_name, r.pool_id, r.pool_name, r.resource_id, r.resource_name, r.sku,
    (extract(epoch FROM r.window_start) * 1000)::bigint AS hour_ms, to_char(r.billing_period, 'YYYY-MM') AS period, r.charge_class,
    r.seconds, r.consumed_quantity::text AS consumed, r.pricing_quantity::text AS pq, r.price_version, r.unit_price::text AS unit_price,
    r.cost::text AS cost, pv.currency
  ${EXPORT_FROM}
  WHERE r.billing_period = $1::date AND ($2::uuid IS NULL OR r.tenant_id = $2::uuid)
  ORDER BY ${EXPORT_ORDER}`;

interface ExportRow {
  tenant_id: string;
  tenant_name: string;
  pool_id: string;
  pool_name: string;
  resource_id: string;
  resource_name: string;
  sku: string;
  hour_ms: string;
  period: string;
  charge_class: string | null;
  seconds: number;
  consumed: string;
  pq: string;
  price_version: number;
  unit_price: string;
  cost: string;
  currency: string;
}

function toInput(r: ExportRow, periods: Map<string, BillingPeriod>): FocusRowInput {
  const label = r.period;
  let period = periods.get(label);
  if (!period) periods.set(label, (period = parseBillingPeriod(label)));
  return {
    record: {
      tenantId: r.tenant_id,
      regionId: r.pool_id,
      resourceId: r.resource_id,
      sku: r.sku as never,
      hourStartMs: Number(r.hour_ms),
      seconds: r.seconds,
      consumedQuantity: r.consumed,
      priceVersionId: String(r.price_version),
      currency: r.currency,
      unitPrice: r.unit_price,
      pricingQuantity: r.pq,
      cost: r.cost,
      correction: r.charge_class === 'Correction',
    },
    // FOCUS wants both names; an account or pool without one is named by its id.
    period,
    tenantName: r.tenant_name || r.tenant_id,
    regionName: r.pool_name || r.pool_id,
    resourceName: r.resource_name,
    tags: null,
  };
}

/**
 * The period's rows, in export order, read through a cursor in batches. `tx` must be a transaction the caller owns
 * (REPEATABLE READ, so the file is one consistent snapshot).
 */
export async function* periodRows(tx: EntityManager, period: BillingPeriod, tenantId?: string): AsyncGenerator<FocusRowInput> {
  const cursor = `export_${Math.random().toString(36).slice(2)}`;
  const start = new Date(period.startMs).toISOString().slice(0, 10);
  await rows(tx, `DECLARE ${cursor} NO SCROLL CURSOR FOR ${EXPORT_SQL}`, [start, tenantId ?? null]);
  const periods = new Map<string, BillingPeriod>();
  try {
    for (;;) {
      const batch = await rows<ExportRow>(tx, `FETCH ${BATCH} FROM ${cursor}`);
      for (const r of batch) yield toInput(r, periods);
      if (batch.length < BATCH) return;
    }
  } finally {
    await rows(tx, `CLOSE ${cursor}`).catch(() => undefined);
  }
}

/**
 * The period's FOCUS file, header first, written by Postgres (focus-copy.ts) and streamed with backpressure: the
 * socket is read only as fast as the consumer takes chunks. `tx` as for periodRows. A consumer that stops early
 * leaves the connection mid-COPY, so it is closed rather than returned to the pool.
 */
export async function* focusChunks(tx: EntityManager, period: BillingPeriod, provider: ProviderIdentity, tenantId?: string): AsyncGenerator<string> {
  const runner = tx.queryRunner as PostgresQueryRunner;
  const client = (await runner.connect()) as { query(s: CopyToStreamQuery): CopyToStreamQuery };
  const sql = focusCopySql(EXPORT_FROM, EXPORT_ORDER, period, provider, tenantId);
  // The period's rows sort in memory, not in temp files (4 MB by default); LOCAL: this transaction only.
  await runner.query(`SET LOCAL work_mem = '${EXPORT_WORK_MEM}'`);
  yield csvLine(FOCUS_COLUMN_NAMES);
  const stream = client.query(copyTo(sql));
  const utf8 = new StringDecoder('utf8'); // a chunk may end inside a character
  let done = false;
  let buffer = '';
  try {
    for await (const data of stream as AsyncIterable<Buffer>) {
      buffer += utf8.write(data);
      if (buffer.length >= CHUNK) {
        yield buffer;
        buffer = '';
      }
    }
    done = true;
  } finally {
    if (!done) {
      stream.destroy();
      // TypeORM's release-with-error (private): pg-pool then closes the client instead of reusing it.
      await (runner as unknown as { releasePostgresConnection(err: Error): Promise<void> }).releasePostgresConnection(
        new Error('export stopped during COPY'),
      );
    }
  }
  buffer += utf8.end();
  if (buffer) yield buffer;
}

async function* map<T, U>(items: AsyncIterable<T>, fn: (t: T) => U): AsyncGenerator<U> {
  for await (const t of items) yield fn(t);
}

/** Text chunks of the export in the asked format (header first for CSV; `[...]` for JSON). */
export function exportChunks(rows: AsyncIterable<FocusRowInput>, format: ExportFormat, provider: ProviderIdentity): AsyncGenerator<string> {
  if (format === 'focus')
    // The reference path (any row source); the database export takes focusChunks.
    return csvStream(
      FOCUS_COLUMN_NAMES,
      map(rows, (r) => buildFocusRow(r, provider)),
    );
  if (format === 'csv')
    return csvStream(
      USAGE_EXPORT_COLUMNS,
      map(rows, (r) => usageExportCells(usageExportRow(r.record, r.period))),
    );
  return jsonArrayStream(map(rows, (r) => usageExportRow(r.record, r.period)));
}

/** sha256 of everything `chunks` yields (the closed file's fingerprint). */
export async function sha256Of(chunks: AsyncIterable<string>): Promise<string> {
  const h = createHash('sha256');
  for await (const c of chunks) h.update(c, 'utf8');
  return h.digest('hex');
}
