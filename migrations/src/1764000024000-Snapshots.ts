import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Snapshots (issue 17): of a VM (its boot disk and settings, VM.snapshot) or of one volume (VDI.snapshot); two quota
 * dimensions (snapshots, snapshotGiB) and snapshot-gib-hour metering from the snapshot's presence. A VM snapshot keeps
 * the sizes the VM had, so a revert brings them back the way a resize does (its resized event included).
 */
export class Snapshots1764000024000 implements MigrationInterface {
  name = 'Snapshots1764000024000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE snapshots (
        id uuid CONSTRAINT pk_snapshots PRIMARY KEY,
        tenant_id uuid NOT NULL CONSTRAINT fk_snapshots_tenant REFERENCES tenants (id),
        pool_id uuid NOT NULL CONSTRAINT fk_snapshots_pool REFERENCES pools (id),
        vm_id uuid CONSTRAINT fk_snapshots_vm REFERENCES vms (id),
        volume_id uuid CONSTRAINT fk_snapshots_volume REFERENCES volumes (id),
        name text NOT NULL,
        status text NOT NULL CONSTRAINT ck_snapshots_status
          CHECK (status IN ('pending', 'available', 'reverting', 'deleting', 'deleted', 'error')),
        -- What it holds of snapshotGiB: the disks it copies (a VM's boot disk, or the volume).
        size_gib int NOT NULL CONSTRAINT ck_snapshots_size CHECK (size_gib > 0),
        -- The VM's sizes when it was taken: a revert brings them back (null for a volume's snapshot).
        flavor_id uuid,
        vcpus int,
        memory_mib int,
        disk_gib int,
        live_max_vcpus int,
        live_max_memory_mib int,
        xapi_uuid text,
        presence text NOT NULL DEFAULT 'requested' CONSTRAINT fk_snapshots_presence REFERENCES resource_presences (presence),
        error_reason text,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_snapshots_subject CHECK ((vm_id IS NULL) <> (volume_id IS NULL)),
        CONSTRAINT ck_snapshots_vm_sizes CHECK (vm_id IS NULL OR (vcpus IS NOT NULL AND memory_mib IS NOT NULL AND disk_gib IS NOT NULL))
      );
      CREATE INDEX ix_snapshots_tenant ON snapshots (tenant_id, created_at, id);
      CREATE INDEX ix_snapshots_vm ON snapshots (vm_id, created_at) WHERE vm_id IS NOT NULL;
      CREATE INDEX ix_snapshots_volume ON snapshots (volume_id, created_at) WHERE volume_id IS NOT NULL;
      CREATE UNIQUE INDEX uq_snapshots_name ON snapshots (coalesce(vm_id, volume_id), lower(name)) WHERE status <> 'deleted';
      -- A volume restored from a volume's snapshot (its content is copied in by the create).
      ALTER TABLE volumes ADD COLUMN source_snapshot_id uuid CONSTRAINT fk_volumes_source_snapshot REFERENCES snapshots (id);

      ALTER TABLE tenant_quotas
        ADD COLUMN snapshots_limit int CONSTRAINT ck_tenant_quotas_snapshots_limit CHECK (snapshots_limit >= 0),
        ADD COLUMN snapshot_gib_limit bigint CONSTRAINT ck_tenant_quotas_snapshot_gib_limit CHECK (snapshot_gib_limit >= 0),
        ADD COLUMN snapshots_used int NOT NULL DEFAULT 0 CONSTRAINT ck_tenant_quotas_snapshots_used CHECK (snapshots_used >= 0),
        ADD COLUMN snapshot_gib_used bigint NOT NULL DEFAULT 0 CONSTRAINT ck_tenant_quotas_snapshot_gib_used CHECK (snapshot_gib_used >= 0);
      ALTER TABLE quota_ledger ADD COLUMN snapshots int NOT NULL DEFAULT 0, ADD COLUMN snapshot_gib bigint NOT NULL DEFAULT 0;
      ALTER TABLE quota_ledger ALTER COLUMN snapshots DROP DEFAULT, ALTER COLUMN snapshot_gib DROP DEFAULT;

      ALTER TABLE usage_events DROP CONSTRAINT ck_usage_events_type,
        ADD CONSTRAINT ck_usage_events_type CHECK (resource_type IN ('vm', 'network', 'volume', 'snapshot', 'public-ip'));
      INSERT INTO price_items (version_id, sku, unit_price) SELECT id, 'snapshot-gib-hour', 0 FROM price_versions ON CONFLICT DO NOTHING;

      -- Billed while present, at the GiB it copies.
      CREATE FUNCTION usage_snapshot_events() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        was_exists boolean := TG_OP = 'UPDATE' AND presence_billable(OLD.presence);
        now_exists boolean := presence_billable(NEW.presence);
        k text := CASE WHEN now_exists AND NOT was_exists THEN 'created' WHEN was_exists AND NOT now_exists THEN 'deleted' END;
      BEGIN
        IF k IS NOT NULL THEN
          INSERT INTO usage_events (source, source_key, tenant_id, pool_id, resource_id, resource_type, kind, occurred_at, attrs)
          VALUES ('snapshot-row', NEW.id || ':' || k || ':' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS') || ':' || txid_current(),
            NEW.tenant_id, NEW.pool_id, NEW.id, 'snapshot', k, now(), jsonb_build_object('diskGiB', NEW.size_gib, 'name', NEW.name))
          ON CONFLICT (source, source_key) DO NOTHING;
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER tg_snapshots_usage AFTER INSERT OR UPDATE ON snapshots FOR EACH ROW EXECUTE FUNCTION usage_snapshot_events();

      -- A revert changes the VM's sizes as a resize does: billed at the new sizes once the operation succeeds.
      DROP TRIGGER tg_operations_usage ON operations;
      CREATE TRIGGER tg_operations_usage AFTER UPDATE ON operations FOR EACH ROW
        WHEN (NEW.kind IN ('vm.resize', 'snapshot.revert') AND NEW.status = 'succeeded' AND OLD.status <> 'succeeded')
        EXECUTE FUNCTION usage_resize_events();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER tg_operations_usage ON operations;
      CREATE TRIGGER tg_operations_usage AFTER UPDATE ON operations FOR EACH ROW
        WHEN (NEW.kind = 'vm.resize' AND NEW.status = 'succeeded' AND OLD.status <> 'succeeded') EXECUTE FUNCTION usage_resize_events();
      DROP TRIGGER tg_snapshots_usage ON snapshots;
      DROP FUNCTION usage_snapshot_events();
      DELETE FROM price_items WHERE sku = 'snapshot-gib-hour';
      DELETE FROM usage_records WHERE sku = 'snapshot-gib-hour';
      DELETE FROM usage_intervals WHERE sku = 'snapshot-gib-hour';
      DELETE FROM usage_events WHERE resource_type = 'snapshot';
      ALTER TABLE usage_events DROP CONSTRAINT ck_usage_events_type,
        ADD CONSTRAINT ck_usage_events_type CHECK (resource_type IN ('vm', 'network', 'volume', 'public-ip'));
      DELETE FROM quota_ledger WHERE (snapshots <> 0 OR snapshot_gib <> 0)
        AND vms = 0 AND vcpus = 0 AND memory_mib = 0 AND disk_gib = 0 AND networks = 0 AND api_keys = 0 AND keypairs = 0 AND volumes = 0 AND volume_gib = 0;
      ALTER TABLE quota_ledger DROP COLUMN snapshots, DROP COLUMN snapshot_gib;
      ALTER TABLE tenant_quotas DROP COLUMN snapshots_limit, DROP COLUMN snapshot_gib_limit, DROP COLUMN snapshots_used, DROP COLUMN snapshot_gib_used;
      ALTER TABLE volumes DROP COLUMN source_snapshot_id;
      DROP TABLE snapshots;
    `);
  }
}
