import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenant consoles (issue 15): one row per single-use token and the session it opened, and audit rows for console
 * sessions (method CONSOLE) with how long they lasted.
 */
export class ConsoleSessions1764000015100 implements MigrationInterface {
  name = 'ConsoleSessions1764000015100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE console_sessions (
        id uuid CONSTRAINT pk_console_sessions PRIMARY KEY,
        tenant_id uuid NOT NULL CONSTRAINT fk_console_sessions_tenant REFERENCES tenants (id) ON DELETE CASCADE,
        vm_id uuid NOT NULL CONSTRAINT fk_console_sessions_vm REFERENCES vms (id) ON DELETE CASCADE,
        -- no foreign key: the bootstrap operator key has no row; a revoked key's token is refused at connect
        api_key_id uuid NOT NULL,
        role text NOT NULL CONSTRAINT ck_console_sessions_role CHECK (role IN ('operator', 'admin', 'member')),
        -- sha256 of the token: the token itself is shown once and never stored
        token_hash bytea NOT NULL CONSTRAINT uq_console_sessions_token UNIQUE CONSTRAINT ck_console_sessions_token CHECK (length(token_hash) = 32),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        connected_at timestamptz,
        -- the serving API process refreshes it while the session is open; a stale one is a session whose process died
        seen_at timestamptz,
        ended_at timestamptz,
        end_reason text,
        bytes_to_client bigint NOT NULL DEFAULT 0,
        bytes_from_client bigint NOT NULL DEFAULT 0,
        CONSTRAINT ck_console_sessions_order CHECK (ended_at IS NULL OR connected_at IS NULL OR ended_at >= connected_at)
      );
      CREATE INDEX ix_console_sessions_open ON console_sessions (vm_id) WHERE connected_at IS NOT NULL AND ended_at IS NULL;
      CREATE INDEX ix_console_sessions_expiry ON console_sessions (expires_at) WHERE connected_at IS NULL;

      ALTER TABLE audit_log ADD COLUMN duration_ms bigint CONSTRAINT ck_audit_log_duration CHECK (duration_ms >= 0);
      ALTER TABLE audit_log DROP CONSTRAINT ck_audit_log_method;
      ALTER TABLE audit_log ADD CONSTRAINT ck_audit_log_method CHECK (method IN ('POST', 'PUT', 'PATCH', 'DELETE', 'SYSTEM', 'CONSOLE'));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM audit_log WHERE method = 'CONSOLE';
      ALTER TABLE audit_log DROP CONSTRAINT ck_audit_log_method;
      ALTER TABLE audit_log ADD CONSTRAINT ck_audit_log_method CHECK (method IN ('POST', 'PUT', 'PATCH', 'DELETE', 'SYSTEM'));
      ALTER TABLE audit_log DROP COLUMN duration_ms;
      DROP TABLE console_sessions;
    `);
  }
}
