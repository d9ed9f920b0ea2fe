import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Idempotency-Key: the first answer per (caller scope, key), and the operation the request launched. */
export class IdempotencyKeys1763900004000 implements MigrationInterface {
  name = 'IdempotencyKeys1763900004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE idempotency_keys (
        scope text NOT NULL,
        key text NOT NULL,
        request_hash bytea NOT NULL,
        operation_id uuid,
        status_code int,
        response_body jsonb,
        response_location text,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        CONSTRAINT pk_idempotency_keys PRIMARY KEY (scope, key)
      );
      CREATE INDEX ix_idempotency_keys_created ON idempotency_keys (created_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
  }
}
