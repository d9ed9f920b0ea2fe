import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Sku } from '../skus.js';

export interface PriceVersion {
  version: number;
  effectiveFrom: string;
  currency: string;
  items: { sku: Sku; unitPrice: string }[];
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
    const [v] = await this.ds.query(
      `SELECT id, effective_from, currency FROM price_versions WHERE effective_from <= $1 ORDER BY effective_from DESC LIMIT 1`, [at]);
    return v ? this.withItems(v) : null;
  }

  async priceVersions(): Promise<PriceVersion[]> {
    const rows = await this.ds.query(`SELECT id, effective_from, currency FROM price_versions ORDER BY effective_from DESC`);
    return Promise.all(rows.map((r: Record<string, unknown>) => this.withItems(r)));
  }

  private async withItems(v: Record<string, unknown>): Promise<PriceVersion> {
    const items = await this.ds.query(`SELECT sku, unit_price::text AS "unitPrice" FROM price_items WHERE version_id = $1 ORDER BY sku`, [v.id]);
    return { version: v.id as number, effectiveFrom: (v.effective_from as Date).toISOString(), currency: v.currency as string, items };
  }

  /**
   * Adds a version effective from `from`, unless hours at or after it were already rated (a price never rewrites a
   * rated hour: records keep the version they were rated with). Null when refused, with the watermark.
   */
  async addPriceVersion(from: Date, currency: string, items: { sku: string; unitPrice: string }[]): Promise<{ version: number } | { ratedThrough: Date }> {
    return this.ds.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('usage-aggregator', 0))`); // no pass rates hours meanwhile
      const [w] = await tx.query(`SELECT through FROM usage_watermark WHERE id = 1`);
      if (w && new Date(w.through) > from) return { ratedThrough: new Date(w.through) };
      const [v] = await tx.query(`INSERT INTO price_versions (effective_from, currency) VALUES ($1, $2)
        ON CONFLICT (effective_from) DO NOTHING RETURNING id`, [from, currency]);
      if (!v) return { ratedThrough: from };
      await tx.query(`INSERT INTO price_items (version_id, sku, unit_price) SELECT $1, sku, price::numeric FROM unnest($2::text[], $3::text[]) AS x(sku, price)`,
        [v.id, items.map((i) => i.sku), items.map((i) => i.unitPrice)]);
      return { version: v.id as number };
    });
  }

  /** Usage per tenant and sku for windows starting in [from, to), Corrections included where they are billed. */
  async usage(from: Date, to: Date, tenantId: string | undefined): Promise<UsageTotal[]> {
    return this.ds.query(
      `SELECT tenant_id AS "tenantId", sku, sum(seconds)::bigint::int AS seconds, sum(consumed_quantity)::text AS "consumedQuantity",
         sum(pricing_quantity)::text AS "pricingQuantity", sum(cost)::text AS cost
       FROM usage_records WHERE window_start >= $1 AND window_start < $2 AND ($3::uuid IS NULL OR tenant_id = $3)
       GROUP BY tenant_id, sku ORDER BY tenant_id, sku`, [from, to, tenantId ?? null]);
  }

  /** Exact cost sums per tenant and currency for one billing period (Corrections billed in it included). */
  async periodSums(periodStart: string, tenantId: string | undefined): Promise<{ tenantId: string; currency: string; rows: number; exact: string }[]> {
    return this.ds.query(
      `SELECT r.tenant_id AS "tenantId", pv.currency, count(*)::int AS rows, sum(r.cost)::numeric(38, 12)::text AS exact
       FROM usage_records r JOIN price_versions pv ON pv.id = r.price_version
       WHERE r.billing_period = $1::date AND ($2::uuid IS NULL OR r.tenant_id = $2::uuid)
       GROUP BY r.tenant_id, pv.currency ORDER BY r.tenant_id, pv.currency`, [periodStart, tenantId ?? null]);
  }

  async ratedThrough(): Promise<Date | null> {
    const [w] = await this.ds.query(`SELECT through FROM usage_watermark WHERE id = 1`);
    return w ? new Date(w.through) : null;
  }
}
