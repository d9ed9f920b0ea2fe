import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Each pool's templates with the boot disk size their clones get, as pool sync last saw them (issue 11). */
export class PoolTemplates1764000011000 implements MigrationInterface {
  name = 'PoolTemplates1764000011000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE pool_templates (
        pool_id uuid NOT NULL CONSTRAINT fk_pool_templates_pool REFERENCES pools (id) ON DELETE CASCADE,
        xapi_uuid text NOT NULL,
        name_label text NOT NULL,
        root_disk_bytes bigint CONSTRAINT ck_pool_templates_disk CHECK (root_disk_bytes > 0),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_pool_templates PRIMARY KEY (pool_id, xapi_uuid)
      );
      CREATE INDEX ix_pool_templates_name ON pool_templates (pool_id, name_label);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE pool_templates`);
  }
}
