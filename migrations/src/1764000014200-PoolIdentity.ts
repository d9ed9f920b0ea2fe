import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A pool that answers with another pool uuid is held (identity_mismatch) until an operator adopts or reverts (issue 14). */
export class PoolIdentity1764000014200 implements MigrationInterface {
  name = 'PoolIdentity1764000014200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE pools
        DROP CONSTRAINT ck_pools_status,
        ADD CONSTRAINT ck_pools_status CHECK (status IN ('pending', 'connected', 'error', 'identity_mismatch')),
        ADD COLUMN observed_xapi_pool_uuid text,
        ADD CONSTRAINT ck_pools_identity_observed CHECK ((status = 'identity_mismatch') = (observed_xapi_pool_uuid IS NOT NULL));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE pools SET status = 'error', last_error = 'identity mismatch (held before a downgrade)' WHERE status = 'identity_mismatch';
      ALTER TABLE pools
        DROP CONSTRAINT ck_pools_identity_observed,
        DROP COLUMN observed_xapi_pool_uuid,
        DROP CONSTRAINT ck_pools_status,
        ADD CONSTRAINT ck_pools_status CHECK (status IN ('pending', 'connected', 'error'));
    `);
  }
}
