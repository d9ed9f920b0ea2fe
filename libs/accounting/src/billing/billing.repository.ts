import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { affected, one, rows } from '@xenplane/core';
import type { Sku } from '../skus.js';

export interface PriceVersion {
  version: number;
  effectiveFrom: string;
  currency: string;
  items: { sku: Sku; unitPrice: string }[];
}

export interface PeriodSum {
  tenantId: string;
  currency: string;
  rows: number;
  exact: string;
}

interface VersionRow {
  id: number;
  effective_from: Date;
  currency: string;
}

export interface UsageTotal {
  tenantId: string;
  sku: Sku;
  seconds: number;
  consumedQuantity: string;
  pricingQuantity: string;
  cost: string;
}

/** Prices, usage sums and billing periods. Every read names its tenant or is an operator-wide read by design. */
@Injectable()
export class BillingRepository {
  constructor(@InjectDataSource() readonly ds: DataSource) {}

  /** The version in force at `at` (the seeded zero-price version covers everything before the first real one). */
  /** The version in force at `at`, or null before the first one. */
  async priceAt(at: Date): Promise<PriceVersion | null> {
    const v = await one<VersionRow>(
      this.ds.manager,
      `SELECT id, effective_from, currency FROM price_versions WHERE effective_from <= $1 ORDER BY effective_from DESC LIMIT 1`,
      [at],
    );
    return v ? this.withItems(v) : null;
  }

  private async withItems(v: VersionRow): Promise<PriceVersion> {
    const items = await rows<PriceVersion['items'][number]>(
      this.ds.manager,
      `SELECT sku, unit_price::text AS "unitPrice" FROM price_items WHERE version_id = $1 ORDER BY sku`,
      [v.id],
    );
    return { version: v.id, effectiveFrom: v.effective_from.toISOString(), currency: v.currency, items };
  }

  /**
   * Adds a version effective from `from`, unless hours at or after it were already rated (a price never rewrites a
   * rated hour: records keep the version they were rated with). Refused with the watermark. `tx` holds the
   * aggregator's lock until it ends, so no pass rates hours meanwhile.
   */
  async addPriceVersion(
    tx: EntityManager,
    from: Date,
    currency: string,
    items: { sku: string; unitPrice: string }[],
  ): Promise<{ version: number } | { ratedThrough: Date }> {
    await rows(tx, `SELECT pg_advisory_xact_lock(hashtextextended('usage-aggregator', 0))`);
    const w = await one<{ through: Date }>(tx, `SELECT through FROM usage_watermark WHERE id = 1`);
    if (w && new Date(w.through) > from) return { ratedThrough: new Date(w.through) };
    const v = await one<{ id: number }>(
      tx,
      `INSERT INTO price_versions (effective_from, currency) VALUES ($1, $2)
      ON CONFLICT (effective_from) DO NOTHING RETURNING id`,
      [from, currency],
    );
    if (!v) return { ratedThrough: from };
    await affected(
      tx,
      `INSERT INTO price_items (version_id, sku, unit_price) SELECT $1, sku, price::numeric FROM unnest($2::text[], $3::text[]) AS x(sku, price)`,
      [v.id, items.map((i) => i.sku), items.map((i) => i.unitPrice)],
    );
    return { version: v.id };
  }

  /** Usage per tenant and sku for windows starting in [from, to), Corrections included where they are billed. */
  async usage(from: Date, to: Date, tenantId: string | undefined): Promise<UsageTotal[]> {
    return rows<UsageTotal>(
      this.ds.manager,
      `SELECT tenant_id AS "tenantId", sku, sum(seconds)::bigint::int AS seconds, sum(consumed_quantity)::text AS "consumedQuantity",
         sum(pricing_quantity)::text AS "pricingQuantity", sum(cost)::text AS cost
       FROM usage_records WHERE window_start >= $1 AND window_start < $2 AND ($3::uuid IS NULL OR tenant_id = $3)
       GROUP BY tenant_id, sku ORDER BY tenant_id, sku`,
      [from, to, tenantId ?? null],
    );
  }

  /** Exact cost sums per tenant and currency for one billing period (Corrections billed in it included). */
  async periodSums(periodStart: string, tenantId: string | undefined): Promise<PeriodSum[]> {
    return rows<PeriodSum>(
      this.ds.manager,
      `SELECT r.tenant_id AS "tenantId", pv.currency, count(*)::int AS rows, sum(r.cost)::numeric(38, 12)::text AS exact
       FROM usage_records r JOIN price_versions pv ON pv.id = r.price_version
       WHERE r.billing_period = $1::date AND ($2::uuid IS NULL OR r.tenant_id = $2::uuid)
       GROUP BY r.tenant_id, pv.currency ORDER BY r.tenant_id, pv.currency`,
      [periodStart, tenantId ?? null],
    );
  }

  async ratedThrough(): Promise<Date | null> {
    const w = await one<{ through: Date }>(this.ds.manager, `SELECT through FROM usage_watermark WHERE id = 1`);
    return w ? new Date(w.through) : null;
  }
}
