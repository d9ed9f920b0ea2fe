import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Metering (issue 7): append-only usage events written by triggers in the very transaction that changes a VM or
 * network row, or completes a resize operation (so no transition is lost or double-counted), intervals that cannot overlap, hourly records rated
 * with the price version in force, billing periods that freeze once closed.
 */
export class Accounting1763900007000 implements MigrationInterface {
  name = 'Accounting1763900007000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE EXTENSION IF NOT EXISTS btree_gist;

      -- accounting.md §3.4 rounds half to even; Postgres round() goes half away from zero.
      CREATE FUNCTION round_half_even(v numeric, s int) RETURNS numeric LANGUAGE sql IMMUTABLE STRICT AS $$
        SELECT CASE WHEN abs(v * power(10::numeric, s) - trunc(v * power(10::numeric, s))) = 0.5
                     AND mod(trunc(v * power(10::numeric, s)), 2) = 0 THEN trunc(v, s) ELSE round(v, s) END
      $$;

      CREATE TABLE usage_events (
        id bigserial CONSTRAINT pk_usage_events PRIMARY KEY,
        source text NOT NULL,
        source_key text NOT NULL,
        tenant_id uuid NOT NULL,
        pool_id uuid NOT NULL,
        resource_id uuid NOT NULL,
        resource_type text NOT NULL CONSTRAINT ck_usage_events_type CHECK (resource_type IN ('vm', 'network')),
        kind text NOT NULL CONSTRAINT ck_usage_events_kind CHECK (kind IN ('created', 'running', 'stopped', 'resized', 'deleted')),
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        attrs jsonb NOT NULL DEFAULT '{}',
        -- Natural key: a replayed or re-delivered event is the same row, so it changes nothing.
        CONSTRAINT uq_usage_events_source UNIQUE (source, source_key)
      );
      CREATE INDEX ix_usage_events_resource ON usage_events (resource_id, occurred_at);

      -- Resources whose events changed since their intervals were derived; the aggregator drains it in its transaction.
      CREATE TABLE usage_dirty (resource_id uuid CONSTRAINT pk_usage_dirty PRIMARY KEY, since timestamptz NOT NULL);
      CREATE FUNCTION usage_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO usage_dirty (resource_id, since) VALUES (NEW.resource_id, NEW.occurred_at)
        ON CONFLICT (resource_id) DO UPDATE SET since = LEAST(usage_dirty.since, EXCLUDED.since);
        RETURN NULL;
      END $$;
      CREATE TRIGGER tg_usage_events_dirty AFTER INSERT ON usage_events FOR EACH ROW EXECUTE FUNCTION usage_mark_dirty();

      CREATE TABLE usage_intervals (
        resource_id uuid NOT NULL,
        sku text NOT NULL,
        tenant_id uuid NOT NULL,
        pool_id uuid NOT NULL,
        resource_type text NOT NULL,
        resource_name text NOT NULL,
        size numeric NOT NULL CONSTRAINT ck_usage_intervals_size CHECK (size > 0),
        during tstzrange NOT NULL CONSTRAINT ck_usage_intervals_nonempty CHECK (NOT isempty(during)),
        -- Double counting is a database error, not a billing dispute.
        CONSTRAINT ex_usage_intervals_overlap EXCLUDE USING gist (resource_id WITH =, sku WITH =, during WITH &&)
      );

      CREATE TABLE price_versions (
        id serial CONSTRAINT pk_price_versions PRIMARY KEY,
        effective_from timestamptz NOT NULL CONSTRAINT uq_price_versions_from UNIQUE,
        currency text NOT NULL CONSTRAINT ck_price_versions_currency CHECK (currency ~ '^[A-Z]{3}$'),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE price_items (
        version_id int NOT NULL CONSTRAINT fk_price_items_version REFERENCES price_versions (id),
        sku text NOT NULL,
        unit_price numeric(20, 6) NOT NULL CONSTRAINT ck_price_items_price CHECK (unit_price >= 0),
        CONSTRAINT pk_price_items PRIMARY KEY (version_id, sku)
      );
      -- Until an operator sets prices everything is metered at zero, so no hour is ever unrated.
      INSERT INTO price_versions (id, effective_from, currency) VALUES (1, '1970-01-01T00:00:00Z', 'USD');
      INSERT INTO price_items (version_id, sku, unit_price)
        SELECT 1, sku, 0 FROM unnest(ARRAY['vm-hour', 'vcpu-hour', 'memory-gib-hour', 'disk-gib-hour', 'network-hour']) AS sku;
      SELECT setval('price_versions_id_seq', 1);

      -- One row per (resource, sku, UTC hour, billing period): Usage in its own period, Correction in a later open one.
      CREATE TABLE usage_records (
        resource_id uuid NOT NULL,
        sku text NOT NULL,
        window_start timestamptz NOT NULL,
        billing_period date NOT NULL,
        charge_class text CONSTRAINT ck_usage_records_class CHECK (charge_class IS NULL OR charge_class = 'Correction'),
        tenant_id uuid NOT NULL,
        pool_id uuid NOT NULL,
        resource_type text NOT NULL,
        resource_name text NOT NULL,
        -- Names as they were when the hour was rated: a later rename never changes a closed period's file.
        tenant_name text NOT NULL,
        pool_name text NOT NULL,
        seconds int NOT NULL CONSTRAINT ck_usage_records_seconds CHECK (seconds BETWEEN -3600 AND 3600),
        -- Fixed scales: 6-decimal prices times 6-decimal quantities are exact at 12, and print identically every time.
        consumed_quantity numeric(38, 10) NOT NULL,
        pricing_quantity numeric(20, 6) NOT NULL,
        price_version int NOT NULL CONSTRAINT fk_usage_records_price REFERENCES price_versions (id),
        unit_price numeric(20, 6) NOT NULL,
        cost numeric(38, 12) NOT NULL,
        CONSTRAINT pk_usage_records PRIMARY KEY (resource_id, sku, window_start, billing_period)
      );
      CREATE INDEX ix_usage_records_export ON usage_records (billing_period, tenant_id, window_start, resource_id, sku);
      CREATE INDEX ix_usage_records_window ON usage_records (window_start, tenant_id);

      -- Every hour before 'through' has its records; written in the same transaction as those records.
      CREATE TABLE usage_watermark (id int CONSTRAINT pk_usage_watermark PRIMARY KEY CHECK (id = 1), through timestamptz NOT NULL);

      CREATE TABLE billing_periods (
        period date CONSTRAINT pk_billing_periods PRIMARY KEY CONSTRAINT ck_billing_periods_month CHECK (extract(day FROM period) = 1),
        closed_at timestamptz NOT NULL,
        sha256 text NOT NULL
      );

      -- Usage is read off the rows the control plane already keeps, in their own transaction, on the database clock.
      CREATE FUNCTION usage_vm_events() RETURNS trigger LANGUAGE plpgsql AS $$
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
      CREATE TRIGGER tg_vms_usage AFTER INSERT OR UPDATE ON vms FOR EACH ROW EXECUTE FUNCTION usage_vm_events();

      -- The API writes new sizes when the resize is asked for; they are billed once XAPI has applied them.
      CREATE FUNCTION usage_resize_events() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO usage_events (source, source_key, tenant_id, pool_id, resource_id, resource_type, kind, occurred_at, attrs)
        SELECT 'operation', NEW.id || ':resized', v.tenant_id, v.pool_id, v.id, 'vm', 'resized', now(),
          jsonb_build_object('vcpus', v.vcpus, 'memoryMiB', v.memory_mib, 'diskGiB', v.disk_gib, 'name', v.name)
        FROM vms v WHERE v.id = NEW.resource_id
        ON CONFLICT (source, source_key) DO NOTHING;
        RETURN NULL;
      END $$;
      CREATE TRIGGER tg_operations_usage AFTER UPDATE ON operations FOR EACH ROW
        WHEN (NEW.kind = 'vm.resize' AND NEW.status = 'succeeded' AND OLD.status <> 'succeeded') EXECUTE FUNCTION usage_resize_events();

      CREATE FUNCTION usage_network_events() RETURNS trigger LANGUAGE plpgsql AS $$
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
      CREATE TRIGGER tg_networks_usage AFTER INSERT OR UPDATE ON networks FOR EACH ROW EXECUTE FUNCTION usage_network_events();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER tg_vms_usage ON vms;
      DROP TRIGGER tg_networks_usage ON networks;
      DROP TRIGGER tg_operations_usage ON operations;
      DROP FUNCTION usage_vm_events(), usage_network_events(), usage_resize_events();
      DROP TABLE billing_periods, usage_watermark, usage_records, price_items, price_versions, usage_intervals, usage_dirty, usage_events;
      DROP FUNCTION usage_mark_dirty();
      DROP FUNCTION round_half_even(numeric, int);
    `);
  }
}
