import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { affected, one, rows } from '@xenplane/core';
import type { LifecycleInterval, LifecycleEvent, MeteredKind } from '../metering/lifecycle-intervals.js';
import { FRESH_RECORDS, RECORD_COLUMNS } from './records.sql.js';

export interface NewUsageEvent {
  source: string;
  sourceKey: string;
  tenantId: string;
  poolId: string;
  resourceId: string;
  resourceType: MeteredKind;
  kind: string;
  occurredAt: Date;
  attrs: object;
}

export interface DirtyResource {
  resourceId: string;
  resourceType: MeteredKind;
  tenantId: string;
  poolId: string;
  since: Date;
}

/**
 * Usage events, intervals, hourly records and the watermark; every method takes its transaction first.
 * Cross-tenant: it serves metering, not a tenant.
 */
@Injectable()
export class UsageRepository {
  /** Appends events; a natural key seen before changes nothing (replays, re-deliveries). Returns how many were new. */
  async appendEvents(tx: EntityManager, events: NewUsageEvent[]): Promise<number> {
    if (!events.length) return 0;
    return affected(
      tx,
      `INSERT INTO usage_events (source, source_key, tenant_id, pool_id, resource_id, resource_type, kind, occurred_at, attrs)
       SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::timestamptz[], $9::jsonb[])
       ON CONFLICT (source, source_key) DO NOTHING`,
      [
        events.map((e) => e.source),
        events.map((e) => e.sourceKey),
        events.map((e) => e.tenantId),
        events.map((e) => e.poolId),
        events.map((e) => e.resourceId),
        events.map((e) => e.resourceType),
        events.map((e) => e.kind),
        events.map((e) => e.occurredAt.toISOString()),
        events.map((e) => JSON.stringify(e.attrs)),
      ],
    );
  }

  /** Takes up to `limit` dirty resources in `tx` (rows come back if it aborts); other aggregators skip them. */
  async takeDirty(tx: EntityManager, limit: number): Promise<DirtyResource[]> {
    return rows<DirtyResource>(
      tx,
      `WITH taken AS (DELETE FROM usage_dirty WHERE resource_id IN (SELECT resource_id FROM usage_dirty ORDER BY resource_id LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING resource_id, since)
       SELECT t.resource_id AS "resourceId", t.since, e.resource_type AS "resourceType", e.tenant_id AS "tenantId", e.pool_id AS "poolId"
       FROM taken t CROSS JOIN LATERAL (SELECT resource_type, tenant_id, pool_id FROM usage_events WHERE resource_id = t.resource_id LIMIT 1) e`,
      [limit],
    );
  }

  async eventsOf(tx: EntityManager, resourceIds: string[]): Promise<Map<string, LifecycleEvent[]>> {
    const events = await rows<{ resource_id: string; kind: LifecycleEvent['kind']; at: string; key: string; attrs: LifecycleEvent['attrs'] }>(
      tx,
      `SELECT resource_id, kind, (extract(epoch FROM occurred_at) * 1000)::bigint AS at, source || '/' || source_key AS key, attrs
       FROM usage_events WHERE resource_id = ANY($1::uuid[])`,
      [resourceIds],
    );
    const out = new Map<string, LifecycleEvent[]>();
    for (const r of events) {
      const list = out.get(r.resource_id);
      const e = { kind: r.kind, at: Number(r.at), key: r.key, attrs: r.attrs };
      if (list) list.push(e);
      else out.set(r.resource_id, [e]);
    }
    return out;
  }

  /**
   * Replaces the intervals of every given resource with freshly derived ones, in two statements whatever their number
   * (the exclusion constraint refuses any overlap).
   */
  async replaceIntervals(tx: EntityManager, derived: { resource: DirtyResource; intervals: LifecycleInterval[] }[]): Promise<void> {
    if (!derived.length) return;
    await affected(tx, `DELETE FROM usage_intervals WHERE resource_id = ANY($1::uuid[])`, [derived.map((d) => d.resource.resourceId)]);
    const flat = derived.flatMap(({ resource, intervals }) => intervals.map((i) => ({ r: resource, i })));
    if (!flat.length) return;
    await affected(
      tx,
      `INSERT INTO usage_intervals (resource_id, sku, tenant_id, pool_id, resource_type, resource_name, size, during)
       SELECT id, sku, tenant, pool, type, name, size::numeric, tstzrange(to_timestamp(s), CASE WHEN e IS NULL THEN NULL ELSE to_timestamp(e) END, '[)')
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[])
         AS x(id, tenant, pool, type, sku, name, size, s, e)`,
      [
        flat.map((f) => f.r.resourceId),
        flat.map((f) => f.r.tenantId),
        flat.map((f) => f.r.poolId),
        flat.map((f) => f.r.resourceType),
        flat.map((f) => f.i.sku),
        flat.map((f) => f.i.name),
        flat.map((f) => f.i.size),
        flat.map((f) => f.i.start),
        flat.map((f) => f.i.end),
      ],
    );
  }

  /** The hour before which every window has its records, or null before the first pass. Locks the row. */
  async watermark(tx: EntityManager): Promise<Date | null> {
    const row = await one<{ through: Date }>(tx, `SELECT through FROM usage_watermark WHERE id = 1 FOR UPDATE`);
    return row ? new Date(row.through) : null;
  }

  async setWatermark(tx: EntityManager, through: Date): Promise<void> {
    await affected(tx, `INSERT INTO usage_watermark (id, through) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET through = EXCLUDED.through`, [
      through,
    ]);
  }

  /** The first hour anything happened, for the first pass. */
  async firstEventHour(tx: EntityManager): Promise<Date | null> {
    const row = await one<{ h: Date | null }>(tx, `SELECT date_trunc('hour', min(occurred_at)) AS h FROM usage_events`);
    return row?.h ? new Date(row.h) : null;
  }

  /** Inserts the records of windows [from, to) for every resource (the forward pass). */
  async insertWindows(tx: EntityManager, from: Date, to: Date): Promise<number> {
    return affected(tx, `INSERT INTO usage_records (${RECORD_COLUMNS}) SELECT ${RECORD_COLUMNS} FROM (${FRESH_RECORDS}) f`, [from, to, null]);
  }

  /**
   * Recomputes windows [from, to) of some resources after late events: rows of open periods are replaced; a window of
   * a closed period keeps its rows and gets a Correction (fresh minus everything billed for it) in the next open period.
   */
  async recompute(tx: EntityManager, resourceIds: string[], from: Date, to: Date): Promise<void> {
    if (from >= to) return;
    const args = [from, to, resourceIds];
    await affected(
      tx,
      `DELETE FROM usage_records r WHERE r.resource_id = ANY($3::uuid[]) AND r.window_start >= $1 AND r.window_start < $2
       AND NOT EXISTS (SELECT 1 FROM billing_periods p WHERE p.period = r.billing_period)`,
      args,
    );
    await affected(
      tx,
      `INSERT INTO usage_records (${RECORD_COLUMNS}) SELECT ${RECORD_COLUMNS} FROM (${FRESH_RECORDS}) f
       WHERE NOT EXISTS (SELECT 1 FROM billing_periods p WHERE p.period = f.billing_period)`,
      args,
    );
    await affected(
      tx,
      `WITH fresh AS (SELECT * FROM (${FRESH_RECORDS}) f WHERE EXISTS (SELECT 1 FROM billing_periods p WHERE p.period = f.billing_period)),
       billed AS (SELECT resource_id, sku, window_start, sum(seconds)::int AS seconds, sum(consumed_quantity) AS consumed, sum(pricing_quantity) AS pq,
                    sum(cost) AS cost, min(tenant_id::text)::uuid AS tenant_id, min(pool_id::text)::uuid AS pool_id, min(resource_type) AS resource_type,
                    min(resource_name) AS resource_name, min(tenant_name) AS tenant_name, min(pool_name) AS pool_name, max(price_version) AS price_version, max(unit_price) AS unit_price
                  FROM usage_records WHERE resource_id = ANY($3::uuid[]) AND window_start >= $1 AND window_start < $2
                    AND EXISTS (SELECT 1 FROM billing_periods p WHERE p.period = usage_records.billing_period)
                  GROUP BY resource_id, sku, window_start)
       INSERT INTO usage_records (${RECORD_COLUMNS}, charge_class)
       SELECT COALESCE(f.resource_id, b.resource_id), COALESCE(f.sku, b.sku), COALESCE(f.window_start, b.window_start),
         (SELECT m::date FROM generate_series(date_trunc('month', COALESCE(f.window_start, b.window_start) AT TIME ZONE 'UTC') + interval '1 month',
            date_trunc('month', COALESCE(f.window_start, b.window_start) AT TIME ZONE 'UTC') + interval '100 years', interval '1 month') m
          WHERE NOT EXISTS (SELECT 1 FROM billing_periods p WHERE p.period = m::date) LIMIT 1),
         COALESCE(f.tenant_id, b.tenant_id), COALESCE(f.pool_id, b.pool_id), COALESCE(f.resource_type, b.resource_type), COALESCE(f.resource_name, b.resource_name),
         COALESCE(f.tenant_name, b.tenant_name), COALESCE(f.pool_name, b.pool_name), COALESCE(f.seconds, 0) - COALESCE(b.seconds, 0), COALESCE(f.consumed_quantity, 0) - COALESCE(b.consumed, 0),
         COALESCE(f.pricing_quantity, 0) - COALESCE(b.pq, 0), COALESCE(f.price_version, b.price_version), COALESCE(f.unit_price, b.unit_price),
         COALESCE(f.unit_price, b.unit_price) * (COALESCE(f.pricing_quantity, 0) - COALESCE(b.pq, 0)), 'Correction'
       FROM fresh f FULL JOIN billed b ON b.resource_id = f.resource_id AND b.sku = f.sku AND b.window_start = f.window_start
       WHERE COALESCE(f.consumed_quantity, 0) <> COALESCE(b.consumed, 0)`,
      args,
    );
  }
}
