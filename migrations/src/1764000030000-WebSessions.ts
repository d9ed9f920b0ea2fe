import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Web console sessions (issue 19): an API key exchanged for a short-lived cookie. Only the token's SHA-256 is kept;
 * the session is its key's (a revoked or expired key ends it at the next request).
 */
export class WebSessions1764000030000 implements MigrationInterface {
  name = 'WebSessions1764000030000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE web_sessions (
        id uuid CONSTRAINT pk_web_sessions PRIMARY KEY,
        api_key_id uuid NOT NULL CONSTRAINT fk_web_sessions_key REFERENCES api_keys (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL CONSTRAINT uq_web_sessions_token UNIQUE CONSTRAINT ck_web_sessions_token CHECK (length(token_hash) = 32),
        -- sent back in X-Xenplane-CSRF on unsafe requests; useless without the cookie, so kept as it is
        csrf_token text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        expires_at timestamptz NOT NULL,
        ended_at timestamptz
      );
      CREATE INDEX ix_web_sessions_key ON web_sessions (api_key_id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE web_sessions`);
  }
}
