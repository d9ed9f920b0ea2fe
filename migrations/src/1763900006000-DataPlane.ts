import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The OVS data plane (issue 6): small integer keys for registers and cookies, where each host's OVS is reached,
 * the VIF bindings each host's reconciler observes, and NOTIFY so reconcilers wake on the changes that matter.
 */
export class DataPlane1763900006000 implements MigrationInterface {
  name = 'DataPlane1763900006000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- reg6 (network), reg5/reg7 (port) and the cookie's object bits need small integers, never reused.
      ALTER TABLE networks ADD COLUMN flow_key int GENERATED ALWAYS AS IDENTITY CONSTRAINT uq_networks_flow_key UNIQUE;
      ALTER TABLE vm_nics ADD COLUMN flow_key int GENERATED ALWAYS AS IDENTITY CONSTRAINT uq_vm_nics_flow_key UNIQUE;
      ALTER TABLE hosts ADD COLUMN flow_key int GENERATED ALWAYS AS IDENTITY CONSTRAINT uq_hosts_flow_key UNIQUE,
        ADD COLUMN ovsdb_target text, ADD COLUMN openflow_target text, ADD COLUMN bridge text, ADD COLUMN tunnel_ip inet;

      -- Observed, not desired: which host's OVS has the VIF plugged, on which ofport (network.md §4.1).
      CREATE TABLE nic_bindings (
        vm_id uuid NOT NULL,
        device int NOT NULL,
        host_id uuid NOT NULL CONSTRAINT fk_nic_bindings_host REFERENCES hosts (id) ON DELETE CASCADE,
        iface text NOT NULL,
        ofport int NOT NULL,
        seen_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_nic_bindings PRIMARY KEY (vm_id, device, host_id),
        CONSTRAINT fk_nic_bindings_nic FOREIGN KEY (vm_id, device) REFERENCES vm_nics (vm_id, device) ON DELETE CASCADE
      );
      CREATE INDEX ix_nic_bindings_host ON nic_bindings (host_id);

      -- One channel, the pool id as payload: every host reconciler of that pool re-derives its flows.
      CREATE FUNCTION notify_dataplane() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        rec record := COALESCE(NEW, OLD);
        pool uuid;
      BEGIN
        IF TG_TABLE_NAME = 'networks' OR TG_TABLE_NAME = 'hosts' THEN
          pool := rec.pool_id;
        ELSIF TG_TABLE_NAME = 'vm_nics' THEN
          SELECT n.pool_id INTO pool FROM networks n WHERE n.id = rec.network_id;
        ELSE
          SELECT h.pool_id INTO pool FROM hosts h WHERE h.id = rec.host_id;
        END IF;
        IF pool IS NOT NULL THEN PERFORM pg_notify('dataplane', pool::text); END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER tg_networks_dataplane AFTER UPDATE ON networks FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
        EXECUTE FUNCTION notify_dataplane();
      CREATE TRIGGER tg_vm_nics_dataplane AFTER INSERT OR DELETE ON vm_nics FOR EACH ROW EXECUTE FUNCTION notify_dataplane();
      CREATE TRIGGER tg_nic_bindings_dataplane AFTER INSERT OR DELETE ON nic_bindings FOR EACH ROW EXECUTE FUNCTION notify_dataplane();
      CREATE TRIGGER tg_nic_bindings_dataplane_update AFTER UPDATE ON nic_bindings FOR EACH ROW
        WHEN ((OLD.iface, OLD.ofport) IS DISTINCT FROM (NEW.iface, NEW.ofport)) EXECUTE FUNCTION notify_dataplane();
      -- Pool sync rewrites every host row each round; only a changed endpoint is news.
      CREATE TRIGGER tg_hosts_dataplane AFTER INSERT OR DELETE ON hosts FOR EACH ROW EXECUTE FUNCTION notify_dataplane();
      CREATE TRIGGER tg_hosts_dataplane_update AFTER UPDATE ON hosts FOR EACH ROW
        WHEN ((OLD.ovsdb_target, OLD.openflow_target, OLD.bridge, OLD.tunnel_ip, OLD.live)
          IS DISTINCT FROM (NEW.ovsdb_target, NEW.openflow_target, NEW.bridge, NEW.tunnel_ip, NEW.live))
        EXECUTE FUNCTION notify_dataplane();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER tg_networks_dataplane ON networks;
      DROP TRIGGER tg_vm_nics_dataplane ON vm_nics;
      DROP TRIGGER tg_hosts_dataplane ON hosts;
      DROP TRIGGER tg_hosts_dataplane_update ON hosts;
      DROP TABLE nic_bindings;
      DROP FUNCTION notify_dataplane();
      ALTER TABLE hosts DROP COLUMN flow_key, DROP COLUMN ovsdb_target, DROP COLUMN openflow_target, DROP COLUMN bridge, DROP COLUMN tunnel_ip;
      ALTER TABLE vm_nics DROP COLUMN flow_key;
      ALTER TABLE networks DROP COLUMN flow_key;
    `);
  }
}
