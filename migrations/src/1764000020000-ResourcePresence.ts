import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One named state per resource (issue 12): whether a VM or network is on the pool, billed, and holds quota and
 * addresses. The rules are a table, so the metering triggers and the quota recount read the same decision the
 * worker writes (libs/core presence.ts mirrors it; a test compares them).
 */
export class ResourcePresence1764000020000 implements MigrationInterface {
  name = 'ResourcePresence1764000020000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE resource_presences (
        presence text CONSTRAINT pk_resource_presences PRIMARY KEY,
        on_pool boolean NOT NULL,
        billable boolean NOT NULL,
        holds_quota boolean NOT NULL,
        holds_addresses boolean NOT NULL
      );
      INSERT INTO resource_presences VALUES
        ('requested', false, false, true, true),
        ('present', true, true, true, true),
        ('unconfirmed', true, false, true, true),
        ('released', false, false, false, false);

      -- Backfill from the rules the five places used to apply each on their own.
      ALTER TABLE vms ADD COLUMN presence text;
      UPDATE vms v SET presence = CASE
        WHEN v.status = 'deleted' OR EXISTS (SELECT 1 FROM quota_ledger l WHERE l.resource_id = v.id AND l.kind = 'release') THEN 'released'
        WHEN v.status = 'error' AND v.power_state IS NULL AND v.host_uuid IS NULL THEN 'unconfirmed'
        WHEN v.xapi_uuid IS NULL THEN 'requested'
        ELSE 'present' END;
      ALTER TABLE vms ALTER COLUMN presence SET NOT NULL, ALTER COLUMN presence SET DEFAULT 'requested',
        ADD CONSTRAINT fk_vms_presence FOREIGN KEY (presence) REFERENCES resource_presences (presence);

      ALTER TABLE networks ADD COLUMN presence text;
      UPDATE networks n SET presence = CASE
        WHEN n.status = 'deleted' OR EXISTS (SELECT 1 FROM quota_ledger l WHERE l.resource_id = n.id AND l.kind = 'release') THEN 'released'
        WHEN n.xapi_uuid IS NULL AND n.status = 'error' THEN 'unconfirmed'
        WHEN n.xapi_uuid IS NULL THEN 'requested'
        ELSE 'present' END;
      ALTER TABLE networks ALTER COLUMN presence SET NOT NULL, ALTER COLUMN presence SET DEFAULT 'requested',
        ADD CONSTRAINT fk_networks_presence FOREIGN KEY (presence) REFERENCES resource_presences (presence);

      CREATE FUNCTION presence_billable(p text) RETURNS boolean LANGUAGE sql STABLE AS $$
        SELECT coalesce((SELECT billable FROM resource_presences WHERE presence = p), false)
      $$;

      CREATE OR REPLACE FUNCTION usage_vm_events() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        was_exists boolean := TG_OP = 'UPDATE' AND presence_billable(OLD.presence);
        now_exists boolean := presence_billable(NEW.presence);
        was_running boolean := was_exists AND OLD.power_state = 'Running';
        now_running boolean := now_exists AND NEW.power_state = 'Running';
        attrs jsonb := jsonb_build_object('vcpus', NEW.vcpus, 'memoryMiB', NEW.memory_mib, 'diskGiB', NEW.disk_gib, 'name', NEW.name);
        seq text := to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS') || ':' || txid_current();
        kinds text[] := '{}';
        k text;
      BEGIN
        IF now_exists AND NOT was_exists THEN kinds := kinds || 'created'::text; END IF;
        IF now_running AND NOT was_running THEN kinds := kinds || 'running'::text; END IF;
        IF was_running AND NOT now_running THEN kinds := kinds || 'stopped'::text; END IF;
        IF was_exists AND NOT now_exists THEN kinds := kinds || 'deleted'::text; END IF;
        FOREACH k IN ARRAY kinds LOOP
          INSERT INTO usage_events (source, source_key, tenant_id, pool_id, resource_id, resource_type, kind, occurred_at, attrs)
          VALUES ('vm-row', NEW.id || ':' || k || ':' || seq, NEW.tenant_id, NEW.pool_id, NEW.id, 'vm', k, now(), attrs)
          ON CONFLICT (source, source_key) DO NOTHING;
        END LOOP;
        RETURN NULL;
      END $$;

      CREATE OR REPLACE FUNCTION usage_network_events() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        was_exists boolean := TG_OP = 'UPDATE' AND presence_billable(OLD.presence);
        now_exists boolean := presence_billable(NEW.presence);
        k text := CASE WHEN now_exists AND NOT was_exists THEN 'created' WHEN was_exists AND NOT now_exists THEN 'deleted' END;
      BEGIN
        IF k IS NOT NULL THEN
          INSERT INTO usage_events (source, source_key, tenant_id, pool_id, resource_id, resource_type, kind, occurred_at, attrs)
          VALUES ('network-row', NEW.id || ':' || k || ':' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS') || ':' || txid_current(),
            NEW.tenant_id, NEW.pool_id, NEW.id, 'network', k, now(), jsonb_build_object('name', NEW.name))
          ON CONFLICT (source, source_key) DO NOTHING;
        END IF;
        RETURN NULL;
      END $$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    // The triggers as Accounting1763900007000 made them, then the column and table go.
    await q.query(`
      CREATE OR REPLACE FUNCTION usage_vm_events() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        was_exists boolean := TG_OP = 'UPDATE' AND OLD.xapi_uuid IS NOT NULL AND OLD.status <> 'deleted'
          AND NOT (OLD.status = 'error' AND OLD.power_state IS NULL AND OLD.host_uuid IS NULL);
        now_exists boolean := NEW.xapi_uuid IS NOT NULL AND NEW.status <> 'deleted'
          AND NOT (NEW.status = 'error' AND NEW.power_state IS NULL AND NEW.host_uuid IS NULL);
        was_running boolean := TG_OP = 'UPDATE' AND was_exists AND OLD.power_state = 'Running';
        now_running boolean := now_exists AND NEW.power_state = 'Running';
        attrs jsonb := jsonb_build_object('vcpus', NEW.vcpus, 'memoryMiB', NEW.memory_mib, 'diskGiB', NEW.disk_gib, 'name', NEW.name);
        seq text := to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS') || ':' || txid_current();
        kinds text[] := '{}';
        k text;
      BEGIN
        IF now_exists AND NOT was_exists THEN kinds := kinds || 'created'::text; END IF;
        IF now_running AND NOT was_running THEN kinds := kinds || 'running'::text; END IF;
        IF was_running AND NOT now_running THEN kinds := kinds || 'stopped'::text; END IF;
        IF was_exists AND NOT now_exists THEN kinds := kinds || 'deleted'::text; END IF;
        FOREACH k IN ARRAY kinds LOOP
          INSERT INTO usage_events (source, source_key, tenant_id, pool_id, resource_id, resource_type, kind, occurred_at, attrs)
          VALUES ('vm-row', NEW.id || ':' || k || ':' || seq, NEW.tenant_id, NEW.pool_id, NEW.id, 'vm', k, now(), attrs)
          ON CONFLICT (source, source_key) DO NOTHING;
        END LOOP;
        RETURN NULL;
      END $$;
      CREATE OR REPLACE FUNCTION usage_network_events() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        was_exists boolean := TG_OP = 'UPDATE' AND OLD.xapi_uuid IS NOT NULL AND OLD.status <> 'deleted';
        now_exists boolean := NEW.xapi_uuid IS NOT NULL AND NEW.status <> 'deleted';
        k text := CASE WHEN now_exists AND NOT was_exists THEN 'created' WHEN was_exists AND NOT now_exists THEN 'deleted' END;
      BEGIN
        IF k IS NOT NULL THEN
          INSERT INTO usage_events (source, source_key, tenant_id, pool_id, resource_id, resource_type, kind, occurred_at, attrs)
          VALUES ('network-row', NEW.id || ':' || k || ':' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS') || ':' || txid_current(),
            NEW.tenant_id, NEW.pool_id, NEW.id, 'network', k, now(), jsonb_build_object('name', NEW.name))
          ON CONFLICT (source, source_key) DO NOTHING;
        END IF;
        RETURN NULL;
      END $$;
      DROP FUNCTION presence_billable(text);
      ALTER TABLE vms DROP COLUMN presence;
      ALTER TABLE networks DROP COLUMN presence;
      DROP TABLE resource_presences;
    `);
  }
}
