import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stateful security groups (issue 16): groups and rules per tenant, the groups of each NIC, two quota dimensions,
 * and a `default` group every tenant has (ingress from its own members, all egress) that every new NIC joins.
 * Composite foreign keys on (tenant_id, id) keep a rule's remote group and a NIC's groups inside one tenant.
 */
export class SecurityGroups1764000023000 implements MigrationInterface {
  name = 'SecurityGroups1764000023000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE security_groups (
        id uuid CONSTRAINT pk_security_groups PRIMARY KEY,
        tenant_id uuid NOT NULL CONSTRAINT fk_security_groups_tenant REFERENCES tenants (id),
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        is_default boolean NOT NULL DEFAULT false,
        -- Conjunction ids and cookies need small integers, never reused.
        flow_key int GENERATED ALWAYS AS IDENTITY CONSTRAINT uq_security_groups_flow_key UNIQUE,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        CONSTRAINT uq_security_groups_name UNIQUE (tenant_id, name),
        CONSTRAINT uq_security_groups_tenant_id UNIQUE (tenant_id, id)
      );
      CREATE UNIQUE INDEX uq_security_groups_default ON security_groups (tenant_id) WHERE is_default;
      CREATE INDEX ix_security_groups_tenant ON security_groups (tenant_id, created_at, id);

      CREATE TABLE security_group_rules (
        id uuid CONSTRAINT pk_security_group_rules PRIMARY KEY,
        tenant_id uuid NOT NULL,
        group_id uuid NOT NULL,
        direction text NOT NULL CONSTRAINT ck_security_group_rules_direction CHECK (direction IN ('ingress', 'egress')),
        protocol text NOT NULL CONSTRAINT ck_security_group_rules_protocol CHECK (protocol IN ('tcp', 'udp', 'icmp', 'any')),
        port_min int,
        port_max int,
        remote_cidr cidr CONSTRAINT ck_security_group_rules_cidr CHECK (family(remote_cidr) = 4),
        remote_group_id uuid,
        -- The default group's seeded rules are the platform's: they hold no quota.
        charged boolean NOT NULL DEFAULT true,
        flow_key int GENERATED ALWAYS AS IDENTITY CONSTRAINT uq_security_group_rules_flow_key UNIQUE,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        CONSTRAINT fk_security_group_rules_group FOREIGN KEY (tenant_id, group_id) REFERENCES security_groups (tenant_id, id) ON DELETE CASCADE,
        CONSTRAINT fk_security_group_rules_remote FOREIGN KEY (tenant_id, remote_group_id) REFERENCES security_groups (tenant_id, id),
        CONSTRAINT ck_security_group_rules_remote CHECK ((remote_cidr IS NULL) <> (remote_group_id IS NULL)),
        CONSTRAINT ck_security_group_rules_ports CHECK (
          (port_min IS NULL AND port_max IS NULL)
          OR (protocol IN ('tcp', 'udp') AND port_min BETWEEN 0 AND 65535 AND port_max BETWEEN port_min AND 65535))
      );
      CREATE INDEX ix_security_group_rules_group ON security_group_rules (group_id, created_at, id);
      CREATE INDEX ix_security_group_rules_remote ON security_group_rules (remote_group_id) WHERE remote_group_id IS NOT NULL;

      CREATE TABLE vm_nic_security_groups (
        vm_id uuid NOT NULL,
        device int NOT NULL,
        tenant_id uuid NOT NULL,
        group_id uuid NOT NULL,
        CONSTRAINT pk_vm_nic_security_groups PRIMARY KEY (vm_id, device, group_id),
        -- A NIC moved to a free device slot (VmNicRepository.moveDevice) keeps its groups.
        CONSTRAINT fk_vm_nic_security_groups_nic FOREIGN KEY (vm_id, device) REFERENCES vm_nics (vm_id, device) ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT fk_vm_nic_security_groups_group FOREIGN KEY (tenant_id, group_id) REFERENCES security_groups (tenant_id, id)
      );
      CREATE INDEX ix_vm_nic_security_groups_group ON vm_nic_security_groups (group_id);

      -- The tenant's default group (made on first need, idempotent): its id.
      CREATE FUNCTION default_security_group(tenant uuid) RETURNS uuid LANGUAGE plpgsql AS $$
      DECLARE
        gid uuid;
      BEGIN
        SELECT id INTO gid FROM security_groups WHERE tenant_id = tenant AND is_default;
        IF gid IS NOT NULL THEN RETURN gid; END IF;
        gid := gen_random_uuid();
        INSERT INTO security_groups (id, tenant_id, name, description, is_default)
        VALUES (gid, tenant, 'default', 'ingress from members of this group, all egress', true)
        ON CONFLICT (tenant_id) WHERE is_default DO NOTHING;
        IF NOT FOUND THEN
          SELECT id INTO gid FROM security_groups WHERE tenant_id = tenant AND is_default;
          RETURN gid;
        END IF;
        INSERT INTO security_group_rules (id, tenant_id, group_id, direction, protocol, remote_group_id, charged)
        VALUES (gen_random_uuid(), tenant, gid, 'ingress', 'any', gid, false);
        INSERT INTO security_group_rules (id, tenant_id, group_id, direction, protocol, remote_cidr, charged)
        VALUES (gen_random_uuid(), tenant, gid, 'egress', 'any', '0.0.0.0/0', false);
        RETURN gid;
      END $$;

      CREATE FUNCTION tenant_default_security_group() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM default_security_group(NEW.id);
        RETURN NULL;
      END $$;
      CREATE TRIGGER tg_tenants_default_security_group AFTER INSERT ON tenants FOR EACH ROW EXECUTE FUNCTION tenant_default_security_group();

      -- Every NIC, however it is made, starts in its tenant's default group; naming groups replaces the membership.
      CREATE FUNCTION nic_default_security_group() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO vm_nic_security_groups (vm_id, device, tenant_id, group_id)
        VALUES (NEW.vm_id, NEW.device, NEW.tenant_id, default_security_group(NEW.tenant_id)) ON CONFLICT DO NOTHING;
        RETURN NULL;
      END $$;
      CREATE TRIGGER tg_vm_nics_default_security_group AFTER INSERT ON vm_nics FOR EACH ROW EXECUTE FUNCTION nic_default_security_group();

      SELECT default_security_group(id) FROM tenants;
      INSERT INTO vm_nic_security_groups (vm_id, device, tenant_id, group_id)
        SELECT n.vm_id, n.device, n.tenant_id, default_security_group(n.tenant_id) FROM vm_nics n ON CONFLICT DO NOTHING;

      -- A rule or membership change wakes the reconcilers of every pool where the tenant has a network.
      CREATE FUNCTION notify_dataplane_security() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        rec record := COALESCE(NEW, OLD);
        pool uuid;
      BEGIN
        FOR pool IN SELECT DISTINCT n.pool_id FROM networks n WHERE n.tenant_id = rec.tenant_id AND n.status <> 'deleted' LOOP
          PERFORM pg_notify('dataplane', pool::text);
        END LOOP;
        RETURN NULL;
      END $$;
      CREATE TRIGGER tg_security_group_rules_dataplane AFTER INSERT OR DELETE ON security_group_rules
        FOR EACH ROW EXECUTE FUNCTION notify_dataplane_security();
      CREATE TRIGGER tg_vm_nic_security_groups_dataplane AFTER INSERT OR DELETE ON vm_nic_security_groups
        FOR EACH ROW EXECUTE FUNCTION notify_dataplane_security();

      ALTER TABLE tenant_quotas
        ADD COLUMN security_groups_limit int CONSTRAINT ck_tenant_quotas_security_groups_limit CHECK (security_groups_limit >= 0),
        ADD COLUMN security_groups_used int NOT NULL DEFAULT 0 CONSTRAINT ck_tenant_quotas_security_groups_used CHECK (security_groups_used >= 0),
        ADD COLUMN security_group_rules_limit int CONSTRAINT ck_tenant_quotas_security_group_rules_limit CHECK (security_group_rules_limit >= 0),
        ADD COLUMN security_group_rules_used int NOT NULL DEFAULT 0
          CONSTRAINT ck_tenant_quotas_security_group_rules_used CHECK (security_group_rules_used >= 0);
      ALTER TABLE quota_ledger ADD COLUMN security_groups int NOT NULL DEFAULT 0, ADD COLUMN security_group_rules int NOT NULL DEFAULT 0;
      ALTER TABLE quota_ledger ALTER COLUMN security_groups DROP DEFAULT, ALTER COLUMN security_group_rules DROP DEFAULT;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM quota_ledger WHERE security_groups <> 0 OR security_group_rules <> 0;
      ALTER TABLE quota_ledger DROP COLUMN security_groups, DROP COLUMN security_group_rules;
      ALTER TABLE tenant_quotas DROP COLUMN security_groups_used, DROP COLUMN security_groups_limit,
        DROP COLUMN security_group_rules_used, DROP COLUMN security_group_rules_limit;
      DROP TRIGGER tg_tenants_default_security_group ON tenants;
      DROP TRIGGER tg_vm_nics_default_security_group ON vm_nics;
      DROP TABLE vm_nic_security_groups, security_group_rules, security_groups;
      DROP FUNCTION notify_dataplane_security(), nic_default_security_group(), tenant_default_security_group(), default_security_group(uuid);
    `);
  }
}
