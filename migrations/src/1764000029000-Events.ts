import type { MigrationInterface, QueryRunner } from 'typeorm';

// Tables whose status a tenant watches: [table, the event kind].
const WATCHED: [string, string][] = [
  ['vms', 'vm'],
  ['volumes', 'volume'],
  ['networks', 'network'],
  ['snapshots', 'snapshot'],
  ['images', 'image'],
  ['vm_nics', 'nic'],
  ['provider_networks', 'provider_network'],
];

/**
 * The event log (issue 19): every operation's progress and every watched resource's status change, appended by
 * deferred triggers at commit under one transaction-level advisory lock, so ids follow commit order (a reader resuming
 * after id N never misses an event committed later with a smaller id) and a rolled-back change appends nothing.
 * NOTIFY events wakes the API's streams and the worker's webhook deliveries. Webhooks keep their own cursor into it.
 */
export class Events1764000029000 implements MigrationInterface {
  name = 'Events1764000029000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE SEQUENCE events_id_seq;
      CREATE TABLE events (
        id bigint CONSTRAINT pk_events PRIMARY KEY,
        -- null: an operator's resource (provider networks, public images), seen by operators only.
        tenant_id uuid,
        type text NOT NULL,
        resource_type text NOT NULL,
        resource_id uuid NOT NULL,
        data jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX ix_events_tenant ON events (tenant_id, id);
      CREATE INDEX ix_events_created ON events (created_at);

      -- Runs at commit (from deferred triggers): the lock is held only from here to the commit, so ids are commit-ordered.
      CREATE FUNCTION events_append(p_tenant uuid, p_type text, p_rtype text, p_rid uuid, p_data jsonb) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(1764000029, 0);
        INSERT INTO events (id, tenant_id, type, resource_type, resource_id, data)
          VALUES (nextval('events_id_seq'), p_tenant, p_type, p_rtype, p_rid, p_data);
        PERFORM pg_notify('events', '');
      END $$;

      CREATE FUNCTION events_operation() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        kind text := CASE WHEN TG_OP = 'INSERT' THEN 'accepted' WHEN OLD.status IS DISTINCT FROM NEW.status THEN NEW.status ELSE 'step' END;
      BEGIN
        PERFORM events_append(NEW.tenant_id, 'operation.' || kind, 'operation', NEW.id, jsonb_build_object(
          'id', NEW.id, 'kind', NEW.kind, 'status', NEW.status, 'step', NEW.step, 'attempts', NEW.attempts,
          'resourceType', NEW.resource_type, 'resourceId', NEW.resource_id, 'errorCode', NEW.error_code, 'errorDetail', NEW.error_detail));
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER tg_operations_events_insert AFTER INSERT ON operations DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION events_operation();
      CREATE CONSTRAINT TRIGGER tg_operations_events_update AFTER UPDATE ON operations DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.step IS DISTINCT FROM NEW.step) EXECUTE FUNCTION events_operation();

      -- TG_ARGV[0]: the event kind; the type is <kind>.<new status>, so a prefix (vm., vm.running) filters.
      CREATE FUNCTION events_resource() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        r jsonb := to_jsonb(NEW);
        previous text;
      BEGIN
        IF TG_OP = 'UPDATE' THEN previous := OLD.status; END IF;
        PERFORM events_append((r->>'tenant_id')::uuid, TG_ARGV[0] || '.' || NEW.status, TG_ARGV[0], NEW.id, jsonb_strip_nulls(jsonb_build_object(
          'id', NEW.id, 'name', r->>'name', 'status', NEW.status, 'previousStatus', previous, 'errorReason', r->>'error_reason',
          'vmId', r->>'vm_id', 'volumeId', r->>'volume_id', 'networkId', r->>'network_id')));
        RETURN NULL;
      END $$;
      ${WATCHED.map(
        ([t, kind]) => `
      CREATE CONSTRAINT TRIGGER tg_${t}_events_insert AFTER INSERT ON ${t} DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW EXECUTE FUNCTION events_resource('${kind}');
      CREATE CONSTRAINT TRIGGER tg_${t}_events_update AFTER UPDATE ON ${t} DEFERRABLE INITIALLY DEFERRED
        FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION events_resource('${kind}');`,
      ).join('')}

      CREATE TABLE webhooks (
        id uuid CONSTRAINT pk_webhooks PRIMARY KEY,
        tenant_id uuid NOT NULL CONSTRAINT fk_webhooks_tenant REFERENCES tenants (id),
        url text NOT NULL,
        -- Type prefixes ('vm.', 'operation.failed'); empty: every event.
        events text[] NOT NULL,
        secret text NOT NULL,
        status text NOT NULL DEFAULT 'active' CONSTRAINT ck_webhooks_status CHECK (status IN ('active', 'failed')),
        -- The last event delivered (or skipped by the filter): deliveries go on after it, in id order.
        cursor bigint NOT NULL,
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        failing_since timestamptz,
        last_error text,
        last_status_code int,
        last_delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      );
      CREATE INDEX ix_webhooks_tenant ON webhooks (tenant_id, created_at, id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE webhooks;
      ${WATCHED.map(([t]) => `DROP TRIGGER tg_${t}_events_insert ON ${t}; DROP TRIGGER tg_${t}_events_update ON ${t};`).join('\n')}
      DROP TRIGGER tg_operations_events_insert ON operations;
      DROP TRIGGER tg_operations_events_update ON operations;
      DROP FUNCTION events_resource();
      DROP FUNCTION events_operation();
      DROP FUNCTION events_append(uuid, text, text, uuid, jsonb);
      DROP TABLE events;
      DROP SEQUENCE events_id_seq;
    `);
  }
}
