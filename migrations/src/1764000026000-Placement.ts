import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Placement across pools (issue 18): pools carry region, zone, an operator weight and overcommit ratios; server
 * groups bind a tenant's VMs by policy; a VM records the host the scheduler chose (before XAPI shows it resident);
 * an operation records the placement decision that was taken for it.
 */
export class Placement1764000026000 implements MigrationInterface {
  name = 'Placement1764000026000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE pools
        ADD COLUMN region text,
        ADD COLUMN zone text,
        ADD COLUMN weight real NOT NULL DEFAULT 1 CONSTRAINT ck_pools_weight CHECK (weight >= 0),
        ADD COLUMN cpu_allocation_ratio real NOT NULL DEFAULT 4 CONSTRAINT ck_pools_cpu_ratio CHECK (cpu_allocation_ratio > 0),
        ADD COLUMN memory_allocation_ratio real NOT NULL DEFAULT 1 CONSTRAINT ck_pools_memory_ratio CHECK (memory_allocation_ratio > 0),
        ADD COLUMN sr_free_bytes bigint;

      -- none, or the operator's maintenance: draining (VMs leaving) then maintenance (empty); blockers: the VMs that cannot leave.
      ALTER TABLE hosts
        ADD COLUMN maintenance text NOT NULL DEFAULT 'none'
          CONSTRAINT ck_hosts_maintenance CHECK (maintenance IN ('none', 'draining', 'maintenance')),
        ADD COLUMN maintenance_blockers jsonb NOT NULL DEFAULT '[]',
        -- the worker disabled it on XAPI for a maintenance: it enables it again when the maintenance ends
        ADD COLUMN maintenance_disabled boolean NOT NULL DEFAULT false,
        ADD COLUMN maintenance_since timestamptz;

      CREATE TABLE server_groups (
        id uuid CONSTRAINT pk_server_groups PRIMARY KEY,
        tenant_id uuid NOT NULL CONSTRAINT fk_server_groups_tenant REFERENCES tenants (id) ON DELETE CASCADE,
        name text NOT NULL,
        policy text NOT NULL CONSTRAINT ck_server_groups_policy CHECK (policy IN ('anti-affinity', 'affinity', 'soft-anti-affinity')),
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        CONSTRAINT uq_server_groups_name UNIQUE (tenant_id, name)
      );
      CREATE INDEX ix_server_groups_tenant ON server_groups (tenant_id, created_at, id);

      ALTER TABLE vms
        ADD COLUMN server_group_id uuid CONSTRAINT fk_vms_server_group REFERENCES server_groups (id) ON DELETE SET NULL,
        ADD COLUMN placed_host_id uuid CONSTRAINT fk_vms_placed_host REFERENCES hosts (id) ON DELETE SET NULL;
      CREATE INDEX ix_vms_server_group ON vms (server_group_id) WHERE server_group_id IS NOT NULL;
      CREATE INDEX ix_vms_placed_host ON vms (placed_host_id) WHERE placed_host_id IS NOT NULL;

      ALTER TABLE operations ADD COLUMN placement jsonb;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE operations DROP COLUMN placement;
      ALTER TABLE vms DROP COLUMN placed_host_id, DROP COLUMN server_group_id;
      DROP TABLE server_groups;
      ALTER TABLE hosts DROP COLUMN maintenance_since, DROP COLUMN maintenance_disabled, DROP COLUMN maintenance_blockers, DROP COLUMN maintenance;
      ALTER TABLE pools DROP COLUMN sr_free_bytes, DROP COLUMN memory_allocation_ratio, DROP COLUMN cpu_allocation_ratio,
        DROP COLUMN weight, DROP COLUMN zone, DROP COLUMN region;
    `);
  }
}
