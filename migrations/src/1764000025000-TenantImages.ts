import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Images of one's own (issue 17): a tenant's private image with a golden disk on a pool (uploaded, or copied from a
 * stopped VM), its presence (null for operators' template images, which hold nothing), and the imageGiB quota.
 */
export class TenantImages1764000025000 implements MigrationInterface {
  name = 'TenantImages1764000025000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE images
        DROP CONSTRAINT ck_images_status,
        ADD CONSTRAINT ck_images_status CHECK (status IN ('queued', 'saving', 'active', 'deprecated', 'deleting', 'deleted', 'error')),
        DROP CONSTRAINT ck_images_visibility,
        ADD CONSTRAINT ck_images_visibility CHECK (visibility IN ('public', 'shared', 'private')),
        -- The owner of a private image; null for an operator's.
        ADD COLUMN tenant_id uuid CONSTRAINT fk_images_tenant REFERENCES tenants (id),
        ADD COLUMN source text NOT NULL DEFAULT 'template' CONSTRAINT ck_images_source CHECK (source IN ('template', 'upload', 'vm')),
        ADD COLUMN pool_id uuid CONSTRAINT fk_images_pool REFERENCES pools (id),
        -- The VM a capture copies the boot disk of.
        ADD COLUMN source_vm_id uuid CONSTRAINT fk_images_source_vm REFERENCES vms (id),
        -- The golden VDI VMs clone their boot disk from.
        ADD COLUMN xapi_uuid text,
        ADD COLUMN disk_format text CONSTRAINT ck_images_disk_format CHECK (disk_format IN ('raw', 'vhd', 'qcow2')),
        ADD COLUMN size_bytes bigint CONSTRAINT ck_images_size_bytes CHECK (size_bytes > 0),
        -- What the image holds of imageGiB: 0 until an upload is accepted.
        ADD COLUMN size_gib int NOT NULL DEFAULT 0 CONSTRAINT ck_images_size_gib CHECK (size_gib >= 0),
        ADD COLUMN sha256 text CONSTRAINT ck_images_sha256 CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        ADD COLUMN presence text CONSTRAINT fk_images_presence REFERENCES resource_presences (presence),
        ADD COLUMN error_reason text,
        ADD CONSTRAINT ck_images_private CHECK ((visibility = 'private') = (tenant_id IS NOT NULL)),
        ADD CONSTRAINT ck_images_presence CHECK ((presence IS NULL) = (tenant_id IS NULL));
      -- A tenant's names are its own: unique per owner (operators' images among themselves).
      DROP INDEX uq_images_name;
      CREATE UNIQUE INDEX uq_images_name ON images (coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(name))
        WHERE status <> 'deleted';
      CREATE INDEX ix_images_tenant ON images (tenant_id, created_at, id) WHERE tenant_id IS NOT NULL;

      ALTER TABLE tenant_quotas
        ADD COLUMN image_gib_limit bigint CONSTRAINT ck_tenant_quotas_image_gib_limit CHECK (image_gib_limit >= 0),
        ADD COLUMN image_gib_used bigint NOT NULL DEFAULT 0 CONSTRAINT ck_tenant_quotas_image_gib_used CHECK (image_gib_used >= 0);
      ALTER TABLE quota_ledger ADD COLUMN image_gib bigint NOT NULL DEFAULT 0;
      ALTER TABLE quota_ledger ALTER COLUMN image_gib DROP DEFAULT;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM quota_ledger WHERE image_gib <> 0
        AND vms = 0 AND vcpus = 0 AND memory_mib = 0 AND disk_gib = 0 AND networks = 0 AND api_keys = 0 AND keypairs = 0
        AND volumes = 0 AND volume_gib = 0;
      ALTER TABLE quota_ledger DROP COLUMN image_gib;
      ALTER TABLE tenant_quotas DROP COLUMN image_gib_limit, DROP COLUMN image_gib_used;
      -- Private images VMs still name become images shared with their owner; the others go.
      DELETE FROM images i WHERE i.tenant_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM vms v WHERE v.image_id = i.id);
      ALTER TABLE images DROP CONSTRAINT ck_images_presence, DROP CONSTRAINT ck_images_private;
      UPDATE images SET visibility = 'shared', tenant_ids = ARRAY[tenant_id], status = 'deleted' WHERE tenant_id IS NOT NULL;
      DROP INDEX ix_images_tenant;
      DROP INDEX uq_images_name;
      CREATE UNIQUE INDEX uq_images_name ON images (lower(name)) WHERE status <> 'deleted';
      ALTER TABLE images
        DROP COLUMN tenant_id, DROP COLUMN source, DROP COLUMN pool_id, DROP COLUMN source_vm_id, DROP COLUMN xapi_uuid,
        DROP COLUMN disk_format, DROP COLUMN size_bytes, DROP COLUMN size_gib, DROP COLUMN sha256, DROP COLUMN presence,
        DROP COLUMN error_reason,
        DROP CONSTRAINT ck_images_status,
        ADD CONSTRAINT ck_images_status CHECK (status IN ('active', 'deprecated', 'deleted')),
        DROP CONSTRAINT ck_images_visibility,
        ADD CONSTRAINT ck_images_visibility CHECK (visibility IN ('public', 'shared'));
    `);
  }
}
