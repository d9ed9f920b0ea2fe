import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { affected, one, rows } from '@xenplane/core';
import type { Sku } from '../skus.js';

export interface PriceVersion {
  version: number;
  effectiveFrom: string;
  /** Null only for the seeded zero-price version before BILLING_CURRENCY is configured. */
  currency: string | null;
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
  currency: string | null;
}

export interface UsageTotal {
  tenantId: string;
  sku: Sku;
  currency: string | null;
  seconds: number;
  consumedQuantity: string;
  pricingQuantity: string;
  cost: string;
}

/** Whose usage: one tenant's (or all, for operators), and within it one resource's (a VM: its disk too). */
export interface UsageScope {
  tenantId?: string;
  resourceId?: string;
}

const HOUR = 3_600_000;

/** Prices, usage sums and billing periods. Every read names its tenant or is an operator-wide read by design. */
@Injectable()
export class BillingRepository {
  constructor(@InjectDataSource() readonly ds: DataSource) {}

  /** The version in force at `at` (the seeded zero-price version covers everything before the first real one), or null before it. */
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
   * Adds a version for whole hours: from the hour `at` falls in if that hour is not rated yet, else from the next one
   * (a price never rewrites a rated hour: records keep the version they were rated with); refused with the watermark
   * when that one is rated too. A version already starting at that hour is not rated by anything yet: it is replaced.
   * `tx` holds the aggregator's lock until it ends, so no pass rates hours meanwhile.
   */
  async addPriceVersion(
    tx: EntityManager,
    at: Date,
    currency: string,
    items: { sku: string; unitPrice: string }[],
  ): Promise<{ version: number; effectiveFrom: Date } | { ratedThrough: Date }> {
    await rows(tx, `SELECT pg_advisory_xact_lock(hashtextextended('usage-aggregator', 0))`);
    const w = await one<{ through: Date }>(tx, `SELECT through FROM usage_watermark WHERE id = 1`);
    const through = w ? new Date(w.through).getTime() : -Infinity;
    const hour = Math.floor(at.getTime() / HOUR) * HOUR;
    const fromMs = hour >= through ? hour : hour + HOUR >= through ? hour + HOUR : null;
    if (fromMs === null) return { ratedThrough: new Date(through) };
    const from = new Date(fromMs);
    const v = await one<{ id: number }>(
      tx,
      `INSERT INTO price_versions (effective_from, currency) VALUES ($1, $2)
      ON CONFLICT (effective_from) DO UPDATE SET currency = EXCLUDED.currency RETURNING id`,
      [from, currency],
    );
    await affected(tx, `DELETE FROM price_items WHERE version_id = $1`, [v!.id]);
    await affected(
      tx,
      `INSERT INTO price_items (version_id, sku, unit_price) SELECT $1, sku, price::numeric FROM unnest($2::text[], $3::text[]) AS x(sku, price)`,
      [v!.id, items.map((i) => i.sku), items.map((i) => i.unitPrice)],
    );
    return { version: v!.id, effectiveFrom: from };
  }

  /**
   * Makes the seeded zero-price version (id 1) the configured currency, unless a closed period froze it with another;
   * answers the currencies of the versions operators set, so the caller can refuse a mismatch.
   */
  async adoptCurrency(currency: string | undefined): Promise<string[]> {
    if (currency)
      await affected(
        this.ds.manager,
        `UPDATE price_versions SET currency = $1 WHERE id = 1 AND currency IS DISTINCT FROM $1 AND NOT EXISTS (
           SELECT 1 FROM usage_records r JOIN billing_periods p ON p.period = r.billing_period WHERE r.price_version = 1)`,
        [currency],
      );
    const set = await rows<{ currency: string }>(this.ds.manager, `SELECT DISTINCT currency FROM price_versions WHERE id <> 1 ORDER BY currency`);
    return set.map((r) => r.currency);
  }

  /** Whether the period has records whose version has no currency yet (BILLING_CURRENCY never configured). */
  async currencyMissing(periodStart: string): Promise<boolean> {
    const r = await one<{ missing: boolean }>(
      this.ds.manager,
      `SELECT EXISTS (SELECT 1 FROM usage_records r JOIN price_versions pv ON pv.id = r.price_version
         WHERE r.billing_period = $1::date AND pv.currency IS NULL) AS missing`,
      [periodStart],
    );
    return r!.missing;
  }

  /** Rated usage per tenant and sku for windows starting in [from, to), Corrections included where they are billed. */
  async usage(from: Date, to: Date, scope: UsageScope): Promise<UsageTotal[]> {
    return rows<UsageTotal>(
      this.ds.manager,
      `SELECT r.tenant_id AS "tenantId", r.sku, pv.currency, sum(r.seconds)::bigint::int AS seconds,
         sum(r.consumed_quantity)::text AS "consumedQuantity", sum(r.pricing_quantity)::text AS "pricingQuantity", sum(r.cost)::text AS cost
       FROM usage_records r JOIN price_versions pv ON pv.id = r.price_version
       WHERE r.window_start >= $1 AND r.window_start < $2 AND ($3::uuid IS NULL OR r.tenant_id = $3) AND ($4::uuid IS NULL OR r.resource_id = $4)
       GROUP BY r.tenant_id, r.sku, pv.currency ORDER BY r.tenant_id, r.sku`,
      [from, to, scope.tenantId ?? null, scope.resourceId ?? null],
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
