import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-tenant quota counters and the ledger that makes each charge and release happen once (issue 4). */
export class Quotas1763900001000 implements MigrationInterface {
  name = 'Quotas1763900001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- One row per tenant, so one row lock covers every dimension; NULL limit = unlimited.
      -- No CHECK (used <= limit): a limit may be lowered below usage and then only blocks growth.
      CREATE TABLE tenant_quotas (
        tenant_id uuid CONSTRAINT pk_tenant_quotas PRIMARY KEY CONSTRAINT fk_tenant_quotas_tenant REFERENCES tenants (id),
        vms_limit int CONSTRAINT ck_tenant_quotas_vms_limit CHECK (vms_limit >= 0),
        vcpus_limit int CONSTRAINT ck_tenant_quotas_vcpus_limit CHECK (vcpus_limit >= 0),
        memory_mib_limit bigint CONSTRAINT ck_tenant_quotas_memory_mib_limit CHECK (memory_mib_limit >= 0),
        disk_gib_limit bigint CONSTRAINT ck_tenant_quotas_disk_gib_limit CHECK (disk_gib_limit >= 0),
        networks_limit int CONSTRAINT ck_tenant_quotas_networks_limit CHECK (networks_limit >= 0),
        vms_used int NOT NULL DEFAULT 0 CONSTRAINT ck_tenant_quotas_vms_used CHECK (vms_used >= 0),
        vcpus_used int NOT NULL DEFAULT 0 CONSTRAINT ck_tenant_quotas_vcpus_used CHECK (vcpus_used >= 0),
        memory_mib_used bigint NOT NULL DEFAULT 0 CONSTRAINT ck_tenant_quotas_memory_mib_used CHECK (memory_mib_used >= 0),
        disk_gib_used bigint NOT NULL DEFAULT 0 CONSTRAINT ck_tenant_quotas_disk_gib_used CHECK (disk_gib_used >= 0),
        networks_used int NOT NULL DEFAULT 0 CONSTRAINT ck_tenant_quotas_networks_used CHECK (networks_used >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      -- Signed deltas (a release is negative), so usage = the sum of a tenant's ledger rows.
      CREATE TABLE quota_ledger (
        id bigserial CONSTRAINT pk_quota_ledger PRIMARY KEY,
        tenant_id uuid NOT NULL CONSTRAINT fk_quota_ledger_tenant REFERENCES tenants (id),
        resource_id uuid NOT NULL,
        operation_id uuid NOT NULL,
        kind text NOT NULL CONSTRAINT ck_quota_ledger_kind CHECK (kind IN ('charge', 'release', 'recount')),
        vms int NOT NULL,
        vcpus int NOT NULL,
        memory_mib bigint NOT NULL,
        disk_gib bigint NOT NULL,
        networks int NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_quota_ledger_entry UNIQUE (resource_id, operation_id, kind)
      );
      -- A resource is released once, whichever operation (failed create, delete, reconciler) gets there first.
      CREATE UNIQUE INDEX uq_quota_ledger_release ON quota_ledger (resource_id) WHERE kind = 'release';
      CREATE INDEX ix_quota_ledger_tenant ON quota_ledger (tenant_id, id);

      -- Existing tenants start with what they hold now, each live VM recorded as one charge.
      INSERT INTO tenant_quotas (tenant_id, vms_used, vcpus_used, memory_mib_used, disk_gib_used)
        SELECT t.id, count(v.id), coalesce(sum(v.vcpus), 0), coalesce(sum(v.memory_mib), 0), coalesce(sum(v.disk_gib), 0)
        FROM tenants t LEFT JOIN vms v ON v.tenant_id = t.id AND v.status <> 'deleted'
        GROUP BY t.id;
      INSERT INTO quota_ledger (tenant_id, resource_id, operation_id, kind, vms, vcpus, memory_mib, disk_gib, networks)
        SELECT v.tenant_id, v.id, v.id, 'charge', 1, v.vcpus, v.memory_mib, v.disk_gib, 0 FROM vms v WHERE v.status <> 'deleted';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE quota_ledger, tenant_quotas`);
  }
}
