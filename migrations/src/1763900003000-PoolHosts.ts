import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Pool connection state and the hosts each pool had when the worker last looked (issue 3). */
export class PoolHosts1763900003000 implements MigrationInterface {
  name = 'PoolHosts1763900003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE pools
        ADD COLUMN status text NOT NULL DEFAULT 'pending' CONSTRAINT ck_pools_status CHECK (status IN ('pending', 'connected', 'error')),
        ADD COLUMN last_error text,
        ADD COLUMN last_seen_at timestamptz,
        ADD COLUMN xapi_pool_uuid text;
      CREATE INDEX ix_pools_created ON pools (created_at, id);

      CREATE TABLE hosts (
        id uuid CONSTRAINT pk_hosts PRIMARY KEY,
        pool_id uuid NOT NULL CONSTRAINT fk_hosts_pool REFERENCES pools (id) ON DELETE CASCADE,
        xapi_uuid text NOT NULL,
        name text NOT NULL,
        address text NOT NULL,
        enabled boolean NOT NULL,
        live boolean NOT NULL,
        memory_total_bytes bigint NOT NULL,
        memory_free_bytes bigint NOT NULL,
        cpu_count int NOT NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_hosts_pool_uuid UNIQUE (pool_id, xapi_uuid)
      );
      CREATE INDEX ix_hosts_created ON hosts (created_at, id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE hosts;
      DROP INDEX ix_pools_created;
      ALTER TABLE pools DROP COLUMN status, DROP COLUMN last_error, DROP COLUMN last_seen_at, DROP COLUMN xapi_pool_uuid;
    `);
  }
}
