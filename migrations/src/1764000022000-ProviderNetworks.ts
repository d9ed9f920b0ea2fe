import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Provider networks (issue 16): operator L2/VLAN networks with address pools that tenants' NICs draw from, the
 * publicIps quota dimension, public-ip-hour metering while an address is held, and data-plane notifications.
 */
export class ProviderNetworks1764000022000 implements MigrationInterface {
  name = 'ProviderNetworks1764000022000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE provider_networks (
        id uuid CONSTRAINT pk_provider_networks PRIMARY KEY,
        pool_id uuid NOT NULL CONSTRAINT fk_provider_networks_pool REFERENCES pools (id),
        name text NOT NULL,
        cidr cidr NOT NULL,
        gateway inet NOT NULL,
        -- [{start, end}] as the operator gave them (checked in the API: inside the CIDR, disjoint, gateway outside).
        allocation_pools jsonb NOT NULL,
        dns_servers text[] NOT NULL DEFAULT '{}',
        -- Either an existing XAPI network, or a PIF and a VLAN tag the worker makes a network on.
        xapi_network_uuid text,
        pif_uuid text,
        vlan int CONSTRAINT ck_provider_networks_vlan CHECK (vlan BETWEEN 0 AND 4094),
        -- Resolved by the worker: the hosts' bridge carrying the uplink and the 802.1Q tag at the edge (null: untagged).
        bridge text,
        vlan_tag int,
        -- Whether the worker made the XAPI network (and its VLAN), so a delete destroys only what it made.
        created_on_pool boolean NOT NULL DEFAULT false,
        visibility text NOT NULL CONSTRAINT ck_provider_networks_visibility CHECK (visibility IN ('all', 'tenants')),
        status text NOT NULL CONSTRAINT ck_provider_networks_status CHECK (status IN ('pending', 'active', 'deleting', 'deleted', 'error')),
        error_reason text,
        flow_key int GENERATED ALWAYS AS IDENTITY CONSTRAINT uq_provider_networks_flow_key UNIQUE,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_provider_networks_source CHECK ((xapi_network_uuid IS NOT NULL AND pif_uuid IS NULL) OR (pif_uuid IS NOT NULL AND vlan IS NOT NULL))
      );
      CREATE UNIQUE INDEX uq_provider_networks_name ON provider_networks (lower(name)) WHERE status <> 'deleted';
      CREATE INDEX ix_provider_networks_created ON provider_networks (created_at, id);

      CREATE TABLE provider_network_tenants (
        provider_network_id uuid NOT NULL CONSTRAINT fk_provider_network_tenants_network REFERENCES provider_networks (id) ON DELETE CASCADE,
        tenant_id uuid NOT NULL CONSTRAINT fk_provider_network_tenants_tenant REFERENCES tenants (id),
        CONSTRAINT pk_provider_network_tenants PRIMARY KEY (provider_network_id, tenant_id)
      );

      -- A NIC is on a tenant network or on a provider network; its address is unique on either, across tenants.
      ALTER TABLE vm_nics ALTER COLUMN network_id DROP NOT NULL,
        ADD COLUMN provider_network_id uuid CONSTRAINT fk_vm_nics_provider_network REFERENCES provider_networks (id),
        ADD COLUMN address_id uuid,
        ADD CONSTRAINT ck_vm_nics_one_network CHECK (num_nonnulls(network_id, provider_network_id) = 1),
        ADD CONSTRAINT ck_vm_nics_address_id CHECK ((provider_network_id IS NULL) = (address_id IS NULL)),
        ADD CONSTRAINT uq_vm_nics_provider_ip UNIQUE (provider_network_id, ip),
        ADD CONSTRAINT uq_vm_nics_provider_mac UNIQUE (provider_network_id, mac);

      ALTER TABLE tenant_quotas
        ADD COLUMN public_ips_limit int CONSTRAINT ck_tenant_quotas_public_ips_limit CHECK (public_ips_limit >= 0),
        ADD COLUMN public_ips_used int NOT NULL DEFAULT 0 CONSTRAINT ck_tenant_quotas_public_ips_used CHECK (public_ips_used >= 0);
      ALTER TABLE quota_ledger ADD COLUMN public_ips int NOT NULL DEFAULT 0;
      ALTER TABLE quota_ledger ALTER COLUMN public_ips DROP DEFAULT;

      -- 'snapshot' too: on a database where Snapshots1764000024000 ran first, this list replaces its list.
      ALTER TABLE usage_events DROP CONSTRAINT ck_usage_events_type,
        ADD CONSTRAINT ck_usage_events_type CHECK (resource_type IN ('vm', 'network', 'volume', 'snapshot', 'public-ip'));
      INSERT INTO price_items (version_id, sku, unit_price) SELECT id, 'public-ip-hour', 0 FROM price_versions ON CONFLICT DO NOTHING;

      -- Billed while held: the row exists exactly as long as the tenant holds the address (deleted with the VM or NIC).
      CREATE FUNCTION usage_public_ip_events() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        rec record := COALESCE(NEW, OLD);
        k text := CASE WHEN TG_OP = 'INSERT' THEN 'created' ELSE 'deleted' END;
      BEGIN
        INSERT INTO usage_events (source, source_key, tenant_id, pool_id, resource_id, resource_type, kind, occurred_at, attrs)
        SELECT 'public-ip-row', rec.address_id || ':' || k, rec.tenant_id, p.pool_id, rec.address_id, 'public-ip', k, now(),
          jsonb_build_object('name', host(rec.ip))
        FROM provider_networks p WHERE p.id = rec.provider_network_id
        ON CONFLICT (source, source_key) DO NOTHING;
        RETURN NULL;
      END $$;
      CREATE TRIGGER tg_vm_nics_public_ip_usage_insert AFTER INSERT ON vm_nics FOR EACH ROW
        WHEN (NEW.provider_network_id IS NOT NULL) EXECUTE FUNCTION usage_public_ip_events();
      CREATE TRIGGER tg_vm_nics_public_ip_usage_delete AFTER DELETE ON vm_nics FOR EACH ROW
        WHEN (OLD.provider_network_id IS NOT NULL) EXECUTE FUNCTION usage_public_ip_events();

      -- The data plane's channel (DataPlane1763900006000) for provider rows: the network's pool re-derives its flows.
      CREATE FUNCTION notify_dataplane_provider() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        rec record := COALESCE(NEW, OLD);
        pool uuid;
      BEGIN
        IF TG_TABLE_NAME = 'provider_networks' THEN
          pool := rec.pool_id;
        ELSE
          SELECT p.pool_id INTO pool FROM provider_networks p WHERE p.id = rec.provider_network_id;
        END IF;
        IF pool IS NOT NULL THEN PERFORM pg_notify('dataplane', pool::text); END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER tg_vm_nics_provider_dataplane_insert AFTER INSERT ON vm_nics FOR EACH ROW
        WHEN (NEW.provider_network_id IS NOT NULL) EXECUTE FUNCTION notify_dataplane_provider();
      CREATE TRIGGER tg_vm_nics_provider_dataplane_delete AFTER DELETE ON vm_nics FOR EACH ROW
        WHEN (OLD.provider_network_id IS NOT NULL) EXECUTE FUNCTION notify_dataplane_provider();
      CREATE TRIGGER tg_provider_networks_dataplane AFTER UPDATE ON provider_networks FOR EACH ROW
        WHEN ((OLD.status, OLD.bridge, OLD.vlan_tag) IS DISTINCT FROM (NEW.status, NEW.bridge, NEW.vlan_tag))
        EXECUTE FUNCTION notify_dataplane_provider();
      -- The worker's provider network reconciler wakes on new and deleted-by-operator rows.
      CREATE FUNCTION notify_provider_networks() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('provider_networks', NEW.pool_id::text);
        RETURN NULL;
      END $$;
      CREATE TRIGGER tg_provider_networks_notify AFTER INSERT OR UPDATE OF status ON provider_networks FOR EACH ROW
        EXECUTE FUNCTION notify_provider_networks();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER tg_provider_networks_notify ON provider_networks;
      DROP FUNCTION notify_provider_networks();
      DROP TRIGGER tg_provider_networks_dataplane ON provider_networks;
      DROP TRIGGER tg_vm_nics_provider_dataplane_insert ON vm_nics;
      DROP TRIGGER tg_vm_nics_provider_dataplane_delete ON vm_nics;
      DROP FUNCTION notify_dataplane_provider();
      DROP TRIGGER tg_vm_nics_public_ip_usage_insert ON vm_nics;
      DROP TRIGGER tg_vm_nics_public_ip_usage_delete ON vm_nics;
      DROP FUNCTION usage_public_ip_events();
      DELETE FROM price_items WHERE sku = 'public-ip-hour';
      DELETE FROM usage_records WHERE sku = 'public-ip-hour';
      DELETE FROM usage_intervals WHERE sku = 'public-ip-hour';
      DELETE FROM usage_events WHERE resource_type = 'public-ip';
      ALTER TABLE usage_events DROP CONSTRAINT ck_usage_events_type,
        ADD CONSTRAINT ck_usage_events_type CHECK (resource_type IN ('vm', 'network', 'volume', 'snapshot'));
      DELETE FROM quota_ledger WHERE public_ips <> 0 AND vms = 0 AND vcpus = 0 AND memory_mib = 0 AND disk_gib = 0 AND networks = 0
        AND api_keys = 0 AND volumes = 0 AND volume_gib = 0;
      ALTER TABLE quota_ledger DROP COLUMN public_ips;
      ALTER TABLE tenant_quotas DROP COLUMN public_ips_limit, DROP COLUMN public_ips_used;
      DELETE FROM vm_nics WHERE provider_network_id IS NOT NULL;
      ALTER TABLE vm_nics DROP CONSTRAINT ck_vm_nics_one_network, DROP CONSTRAINT ck_vm_nics_address_id,
        DROP CONSTRAINT uq_vm_nics_provider_ip, DROP CONSTRAINT uq_vm_nics_provider_mac,
        DROP COLUMN address_id, DROP COLUMN provider_network_id, ALTER COLUMN network_id SET NOT NULL;
      DROP TABLE provider_network_tenants;
      DROP TABLE provider_networks;
    `);
  }
}
