import type { MigrationInterface, QueryRunner } from 'typeorm';

const KINDS = ['flavors', 'images'] as const;

/**
 * Flavors and images get a lifecycle (active, deprecated: kept for the VMs that use it but refused to new ones,
 * deleted: gone from lists, its name free again, the row kept for the VMs that still name it) and a visibility
 * (public, or shared with the tenants named in tenant_ids) (issue 14).
 */
export class CatalogLifecycle1764000014000 implements MigrationInterface {
  name = 'CatalogLifecycle1764000014000';

  async up(q: QueryRunner): Promise<void> {
    for (const t of KINDS) {
      await q.query(`
        ALTER TABLE ${t}
          ADD COLUMN status text NOT NULL DEFAULT 'active' CONSTRAINT ck_${t}_status CHECK (status IN ('active', 'deprecated', 'deleted')),
          ADD COLUMN visibility text NOT NULL DEFAULT 'public' CONSTRAINT ck_${t}_visibility CHECK (visibility IN ('public', 'shared')),
          ADD COLUMN tenant_ids uuid[] NOT NULL DEFAULT '{}' CONSTRAINT ck_${t}_tenant_ids CHECK (cardinality(tenant_ids) <= 1000),
          ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
        DROP INDEX uq_${t}_name;
        CREATE UNIQUE INDEX uq_${t}_name ON ${t} (lower(name)) WHERE status <> 'deleted';
        CREATE INDEX ix_${t}_created ON ${t} (created_at, id);
      `);
    }
    // What a delete asks: which live VMs still use this flavor or image.
    await q.query(`
      CREATE INDEX ix_vms_flavor ON vms (flavor_id) WHERE status <> 'deleted';
      CREATE INDEX ix_vms_image ON vms (image_id) WHERE status <> 'deleted';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_vms_flavor; DROP INDEX ix_vms_image;`);
    for (const t of KINDS) {
      await q.query(`
        DROP INDEX ix_${t}_created;
        DROP INDEX uq_${t}_name;
        ALTER TABLE ${t} DROP COLUMN status, DROP COLUMN visibility, DROP COLUMN tenant_ids, DROP COLUMN updated_at;
        CREATE UNIQUE INDEX uq_${t}_name ON ${t} (lower(name));
      `);
    }
  }
}
