import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Billing's first hour (issue 14): the seeded zero-price version (id 1) had a silent USD. It now has no currency
 * until the API adopts BILLING_CURRENCY at start-up; one already frozen into a closed period keeps its own.
 */
export class BillingCurrency1764000014101 implements MigrationInterface {
  name = 'BillingCurrency1764000014101';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE price_versions ALTER COLUMN currency DROP NOT NULL;
      -- Only the seeded version may be without one: every price an operator sets names the configured currency.
      ALTER TABLE price_versions ADD CONSTRAINT ck_price_versions_currency_set CHECK (currency IS NOT NULL OR id = 1);
      UPDATE price_versions SET currency = NULL WHERE id = 1 AND NOT EXISTS (
        SELECT 1 FROM usage_records r JOIN billing_periods p ON p.period = r.billing_period WHERE r.price_version = 1);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE price_versions SET currency = 'USD' WHERE currency IS NULL;
      ALTER TABLE price_versions DROP CONSTRAINT ck_price_versions_currency_set;
      ALTER TABLE price_versions ALTER COLUMN currency SET NOT NULL;
    `);
  }
}
