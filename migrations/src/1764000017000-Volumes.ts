import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Block volumes (issue 17): operator volume types naming an SR, tenant volumes that outlive the VMs they attach to,
 * two quota dimensions (volumes, volumeGiB) and volume-gib-hour metering from the volume's presence.
 */
export class Volumes1764000017000 implements MigrationInterface {
  name = 'Volumes1764000017000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE volume_types (
        id uuid CONSTRAINT pk_volume_types PRIMARY KEY,
        pool_id uuid NOT NULL CONSTRAINT fk_volume_types_pool REFERENCES pools (id),
        name text NOT NULL,
        sr_uuid text NOT NULL,
        -- Millisecond precision, so keyset cursors (JS Dates) compare exactly.
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      );
      CREATE UNIQUE INDEX uq_volume_types_name ON volume_types (pool_id, lower(name));

      CREATE TABLE volumes (
        id uuid CONSTRAINT pk_volumes PRIMARY KEY,
        tenant_id uuid NOT NULL CONSTRAINT fk_volumes_tenant REFERENCES tenants (id),
        pool_id uuid NOT NULL CONSTRAINT fk_volumes_pool REFERENCES pools (id),
        type_id uuid CONSTRAINT fk_volumes_type REFERENCES volume_types (id),
        name text NOT NULL,
        size_gib int NOT NULL CONSTRAINT ck_volumes_size CHECK (size_gib > 0),
        status text NOT NULL CONSTRAINT ck_volumes_status
          CHECK (status IN ('pending', 'available', 'attaching', 'in-use', 'detaching', 'resizing', 'deleting', 'deleted', 'error')),
        -- The VM it is attached to (or being attached to); set by the API, cleared by a detach or the VM's delete.
        vm_id uuid CONSTRAINT fk_volumes_vm REFERENCES vms (id),
        xapi_uuid text,
        vbd_uuid text,
        device text,
        -- A CHECK, not a foreign key: this prefix sorts before ResourcePresence1764000020000, which makes that table.
        presence text NOT NULL DEFAULT 'requested' CONSTRAINT ck_volumes_presence CHECK (presence IN ('requested', 'present', 'unconfirmed', 'released')),
        error_reason text,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX ix_volumes_tenant ON volumes (tenant_id, created_at, id);
      CREATE INDEX ix_volumes_vm ON volumes (vm_id) WHERE vm_id IS NOT NULL;

      ALTER TABLE tenant_quotas
        ADD COLUMN volumes_limit int CONSTRAINT ck_tenant_quotas_volumes_limit CHECK (volumes_limit >= 0),
        ADD COLUMN volume_gib_limit bigint CONSTRAINT ck_tenant_quotas_volume_gib_limit CHECK (volume_gib_limit >= 0),
        ADD COLUMN volumes_used int NOT NULL DEFAULT 0 CONSTRAINT ck_tenant_quotas_volumes_used CHECK (volumes_used >= 0),
        ADD COLUMN volume_gib_used bigint NOT NULL DEFAULT 0 CONSTRAINT ck_tenant_quotas_volume_gib_used CHECK (volume_gib_used >= 0);
      ALTER TABLE quota_ledger ADD COLUMN volumes int NOT NULL DEFAULT 0, ADD COLUMN volume_gib bigint NOT NULL DEFAULT 0;
      ALTER TABLE quota_ledger ALTER COLUMN volumes DROP DEFAULT, ALTER COLUMN volume_gib DROP DEFAULT;

      ALTER TABLE usage_events DROP CONSTRAINT ck_usage_events_type,
        ADD CONSTRAINT ck_usage_events_type CHECK (resource_type IN ('vm', 'network', 'volume'));
      INSERT INTO price_items (version_id, sku, unit_price) SELECT id, 'volume-gib-hour', 0 FROM price_versions ON CONFLICT DO NOTHING;

      -- Billed while present (presence_billable is resolved when the trigger runs, after ResourcePresence exists), at the size XAPI has: a grow is billed from the moment its operation succeeds.
      CREATE FUNCTION usage_volume_events() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        was_exists boolean := TG_OP = 'UPDATE' AND presence_billable(OLD.presence);
        now_exists boolean := presence_billable(NEW.presence);
        k text := CASE WHEN now_exists AND NOT was_exists THEN 'created' WHEN was_exists AND NOT now_exists THEN 'deleted' END;
      BEGIN
        IF k IS NOT NULL THEN
          INSERT INTO usage_events (source, source_key, tenant_id, pool_id, resource_id, resource_type, kind, occurred_at, attrs)
          VALUES ('volume-row', NEW.id || ':' || k || ':' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS') || ':' || txid_current(),
            NEW.tenant_id, NEW.pool_id, NEW.id, 'volume', k, now(), jsonb_build_object('diskGiB', NEW.size_gib, 'name', NEW.name))
          ON CONFLICT (source, source_key) DO NOTHING;
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER tg_volumes_usage AFTER INSERT OR UPDATE ON volumes FOR EACH ROW EXECUTE FUNCTION usage_volume_events();

      CREATE FUNCTION usage_volume_resize_events() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO usage_events (source, source_key, tenant_id, pool_id, resource_id, resource_type, kind, occurred_at, attrs)
        SELECT 'operation', NEW.id || ':resized', v.tenant_id, v.pool_id, v.id, 'volume', 'resized', now(),
          jsonb_build_object('diskGiB', v.size_gib, 'name', v.name)
        FROM volumes v WHERE v.id = NEW.resource_id AND presence_billable(v.presence)
        ON CONFLICT (source, source_key) DO NOTHING;
        RETURN NULL;
      END $$;
      CREATE TRIGGER tg_operations_volume_usage AFTER UPDATE ON operations FOR EACH ROW
        WHEN (NEW.kind = 'volume.resize' AND NEW.status = 'succeeded' AND OLD.status <> 'succeeded') EXECUTE FUNCTION usage_volume_resize_events();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER tg_operations_volume_usage ON operations;
      DROP FUNCTION usage_volume_resize_events();
      DROP TRIGGER tg_volumes_usage ON volumes;
      DROP FUNCTION usage_volume_events();
      DELETE FROM price_items WHERE sku = 'volume-gib-hour';
      DELETE FROM usage_records WHERE sku = 'volume-gib-hour';
      DELETE FROM usage_intervals WHERE sku = 'volume-gib-hour';
      DELETE FROM usage_events WHERE resource_type = 'volume';
      ALTER TABLE usage_events DROP CONSTRAINT ck_usage_events_type,
        ADD CONSTRAINT ck_usage_events_type CHECK (resource_type IN ('vm', 'network'));
      DELETE FROM quota_ledger WHERE (volumes <> 0 OR volume_gib <> 0)
        AND vms = 0 AND vcpus = 0 AND memory_mib = 0 AND disk_gib = 0 AND networks = 0 AND api_keys = 0;
      ALTER TABLE quota_ledger DROP COLUMN volumes, DROP COLUMN volume_gib;
      ALTER TABLE tenant_quotas DROP COLUMN volumes_limit, DROP COLUMN volume_gib_limit, DROP COLUMN volumes_used, DROP COLUMN volume_gib_used;
      DROP TABLE volumes;
      DROP TABLE volume_types;
    `);
  }
}
