import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The audit log: one row per state-changing request that reached authentication (issue 4). */
export class Audit1763900002000 implements MigrationInterface {
  name = 'Audit1763900002000';

  async up(q: QueryRunner): Promise<void> {
    // No foreign keys: audit rows must outlive (and never be refused for) the keys and tenants they name.
    await q.query(`
      CREATE TABLE audit_log (
        id uuid CONSTRAINT pk_audit_log PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        tenant_id uuid,
        api_key_id uuid,
        role text CONSTRAINT ck_audit_log_role CHECK (role IN ('operator', 'admin', 'member')),
        method text NOT NULL CONSTRAINT ck_audit_log_method CHECK (method IN ('POST', 'PUT', 'PATCH', 'DELETE', 'SYSTEM')),
        route text NOT NULL,
        path text NOT NULL CONSTRAINT ck_audit_log_path CHECK (length(path) <= 2048),
        resource_id uuid,
        status smallint NOT NULL CONSTRAINT ck_audit_log_status CHECK (status BETWEEN 100 AND 599),
        outcome text NOT NULL CONSTRAINT ck_audit_log_outcome CHECK (outcome IN ('succeeded', 'failed', 'unknown')),
        error_code text,
        request_id text NOT NULL
      );
      CREATE INDEX ix_audit_log_created ON audit_log (created_at, id);
      CREATE INDEX ix_audit_log_tenant ON audit_log (tenant_id, created_at, id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_log`);
  }
}
