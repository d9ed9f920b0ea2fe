import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { rows } from '@xenplane/core';
import { freshRecords } from '../aggregation/records.sql.js';
import { UsageRepository } from '../aggregation/usage.repository.js';
import { deriveLifecycleIntervals, type LifecycleInterval, type MeteredKind } from '../metering/lifecycle-intervals.js';
import type { UsageTotal, UsageScope } from './billing.repository.js';

const HOUR = 3_600_000;

interface Resource {
  resource_id: string;
  resource_type: MeteredKind;
  tenant_id: string;
  pool_id: string;
}
type Interval = LifecycleInterval & Resource;

// The hours the aggregator has not rated yet, rated the way it will rate them (the same SQL), over intervals derived
// here from the events: a resource started a minute ago is in them before any aggregation pass ran.
const ESTIMATE_SQL = `
  WITH est AS (
    SELECT resource_id, sku, tenant_id, pool_id, resource_type, resource_name, size::numeric AS size,
      tstzrange(to_timestamp(s), to_timestamp(e), '[)') AS during
    FROM unnest($4::uuid[], $5::text[], $6::uuid[], $7::uuid[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[])
      AS x(resource_id, sku, tenant_id, pool_id, resource_type, resource_name, size, s, e))
  SELECT f.tenant_id AS "tenantId", f.sku, pv.currency, sum(f.seconds)::bigint::int AS seconds,
    sum(f.consumed_quantity)::text AS "consumedQuantity", sum(f.pricing_quantity)::text AS "pricingQuantity", sum(f.cost)::text AS cost
  FROM (${freshRecords('est')}) f JOIN price_versions pv ON pv.id = f.price_version
  GROUP BY f.tenant_id, f.sku, pv.currency ORDER BY f.tenant_id, f.sku`;

/** Estimates of the hours not rated yet (never stored, never exported): the running hour so far, and any before it. */
@Injectable()
export class UsageEstimates {
  private readonly usage = new UsageRepository();

  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Hours starting in [from, to), at or after `ratedThrough`, up to `now` (the running hour counts its seconds so far). */
  async estimate(from: Date, to: Date, ratedThrough: Date | null, now: Date, scope: UsageScope): Promise<UsageTotal[]> {
    const lowerMs = Math.max(Math.ceil(from.getTime() / HOUR) * HOUR, ratedThrough?.getTime() ?? 0);
    const upperMs = Math.min(to.getTime(), now.getTime());
    if (lowerMs >= upperMs) return [];
    const resources = await rows<Resource>(
      this.ds.manager,
      `SELECT resource_id, min(resource_type) AS resource_type, min(tenant_id::text) AS tenant_id, min(pool_id::text) AS pool_id
       FROM usage_events WHERE ($1::uuid IS NULL OR tenant_id = $1) AND ($2::uuid IS NULL OR resource_id = $2)
       GROUP BY resource_id HAVING NOT bool_or(kind = 'deleted' AND occurred_at < $3)`,
      [scope.tenantId ?? null, scope.resourceId ?? null, new Date(lowerMs)],
    );
    if (!resources.length) return [];
    const events = await this.usage.eventsOf(
      this.ds.manager,
      resources.map((r) => r.resource_id),
    );
    const nowS = Math.floor(now.getTime() / 1000);
    const intervals: Interval[] = resources.flatMap((r) =>
      deriveLifecycleIntervals(r.resource_type, events.get(r.resource_id) ?? [])
        // Open intervals end now: the estimate counts what has been used, not the rest of the hour.
        .map((i) => ({ ...i, ...r, end: Math.min(i.end ?? nowS, nowS) }))
        .filter((i) => i.end > i.start && i.end * 1000 > lowerMs),
    );
    if (!intervals.length) return [];
    const col = <K extends keyof Interval>(k: K) => intervals.map((i) => i[k]);
    return rows<UsageTotal>(this.ds.manager, ESTIMATE_SQL, [
      new Date(lowerMs),
      new Date(upperMs),
      null,
      col('resource_id'),
      col('sku'),
      col('tenant_id'),
      col('pool_id'),
      col('resource_type'),
      col('name'),
      col('size'),
      col('start'),
      col('end'),
    ]);
  }
}
