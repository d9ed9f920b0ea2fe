import type { MigrationInterface, QueryRunner } from 'typeorm';

/** SSH keypairs per tenant (issue 15), counted in a quota dimension of their own. */
export class Keypairs1764000015000 implements MigrationInterface {
  name = 'Keypairs1764000015000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE keypairs (
        id uuid CONSTRAINT pk_keypairs PRIMARY KEY,
        tenant_id uuid NOT NULL CONSTRAINT fk_keypairs_tenant REFERENCES tenants (id),
        name text NOT NULL,
        public_key text NOT NULL,
        fingerprint text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        CONSTRAINT uq_keypairs_name UNIQUE (tenant_id, name)
      );
      CREATE INDEX ix_keypairs_tenant ON keypairs (tenant_id, created_at, id);

      ALTER TABLE tenant_quotas
        ADD COLUMN keypairs_limit int CONSTRAINT ck_tenant_quotas_keypairs_limit CHECK (keypairs_limit >= 0),
        ADD COLUMN keypairs_used int NOT NULL DEFAULT 0 CONSTRAINT ck_tenant_quotas_keypairs_used CHECK (keypairs_used >= 0);
      ALTER TABLE quota_ledger ADD COLUMN keypairs int NOT NULL DEFAULT 0;
      ALTER TABLE quota_ledger ALTER COLUMN keypairs DROP DEFAULT;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM quota_ledger WHERE keypairs <> 0;
      ALTER TABLE quota_ledger DROP COLUMN keypairs;
      ALTER TABLE tenant_quotas DROP COLUMN keypairs_used, DROP COLUMN keypairs_limit;
      DROP TABLE keypairs;
    `);
  }
}
