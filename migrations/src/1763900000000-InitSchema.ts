import type { MigrationInterface, QueryRunner } from 'typeorm';
// created_at is kept at millisecond precision so keyset cursors (JS Dates) compare exactly.

/** Tenancy, catalogue, pools, VMs, operations and the outbox (issue 2). */
export class InitSchema1763900000000 implements MigrationInterface {
  name = 'InitSchema1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id uuid CONSTRAINT pk_tenants PRIMARY KEY,
        name text NOT NULL CONSTRAINT ck_tenants_name CHECK (length(name) BETWEEN 1 AND 100),
        status text NOT NULL DEFAULT 'active' CONSTRAINT ck_tenants_status CHECK (status IN ('active', 'deleted')),
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      );
      CREATE UNIQUE INDEX uq_tenants_name ON tenants (lower(name)) WHERE deleted_at IS NULL;
      CREATE INDEX ix_tenants_created ON tenants (created_at, id);

      CREATE TABLE api_keys (
        id uuid CONSTRAINT pk_api_keys PRIMARY KEY,
        tenant_id uuid CONSTRAINT fk_api_keys_tenant REFERENCES tenants (id),
        role text NOT NULL CONSTRAINT ck_api_keys_role CHECK (role IN ('operator', 'admin', 'member')),
        name text NOT NULL,
        prefix text NOT NULL,
        secret_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        revoked_at timestamptz,
        CONSTRAINT ck_api_keys_scope CHECK ((role = 'operator') = (tenant_id IS NULL))
      );
      CREATE UNIQUE INDEX uq_api_keys_prefix ON api_keys (prefix);
      CREATE INDEX ix_api_keys_tenant ON api_keys (tenant_id, created_at, id);

      CREATE TABLE flavors (
        id uuid CONSTRAINT pk_flavors PRIMARY KEY,
        name text NOT NULL,
        vcpus int NOT NULL CONSTRAINT ck_flavors_vcpus CHECK (vcpus > 0),
        memory_mib int NOT NULL CONSTRAINT ck_flavors_memory CHECK (memory_mib > 0),
        disk_gib int NOT NULL CONSTRAINT ck_flavors_disk CHECK (disk_gib > 0),
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      );
      CREATE UNIQUE INDEX uq_flavors_name ON flavors (lower(name));

      CREATE TABLE images (
        id uuid CONSTRAINT pk_images PRIMARY KEY,
        name text NOT NULL,
        template text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      );
      CREATE UNIQUE INDEX uq_images_name ON images (lower(name));

      CREATE TABLE pools (
        id uuid CONSTRAINT pk_pools PRIMARY KEY,
        name text NOT NULL,
        url text NOT NULL,
        username text NOT NULL,
        password_enc bytea,
        from_env boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      );
      CREATE UNIQUE INDEX uq_pools_name ON pools (lower(name));
      CREATE UNIQUE INDEX uq_pools_from_env ON pools (from_env) WHERE from_env;

      CREATE TABLE vms (
        id uuid CONSTRAINT pk_vms PRIMARY KEY,
        tenant_id uuid NOT NULL CONSTRAINT fk_vms_tenant REFERENCES tenants (id),
        name text NOT NULL,
        flavor_id uuid NOT NULL CONSTRAINT fk_vms_flavor REFERENCES flavors (id),
        image_id uuid NOT NULL CONSTRAINT fk_vms_image REFERENCES images (id),
        pool_id uuid NOT NULL CONSTRAINT fk_vms_pool REFERENCES pools (id),
        status text NOT NULL CONSTRAINT ck_vms_status
          CHECK (status IN ('pending', 'provisioning', 'running', 'stopped', 'deleting', 'deleted', 'error')),
        vcpus int NOT NULL,
        memory_mib int NOT NULL,
        disk_gib int NOT NULL,
        xapi_uuid text,
        host_uuid text,
        power_state text,
        error_reason text,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX ix_vms_tenant ON vms (tenant_id, created_at, id);
      CREATE UNIQUE INDEX uq_vms_xapi_uuid ON vms (xapi_uuid) WHERE xapi_uuid IS NOT NULL AND status <> 'deleted';

      CREATE TABLE operations (
        id uuid CONSTRAINT pk_operations PRIMARY KEY,
        tenant_id uuid NOT NULL CONSTRAINT fk_operations_tenant REFERENCES tenants (id),
        kind text NOT NULL,
        status text NOT NULL CONSTRAINT ck_operations_status CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
        resource_type text NOT NULL,
        resource_id uuid NOT NULL,
        step text,
        checkpoint jsonb NOT NULL DEFAULT '{}',
        error_code text,
        error_detail text,
        request_id text,
        attempts int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        started_at timestamptz,
        finished_at timestamptz
      );
      CREATE INDEX ix_operations_tenant ON operations (tenant_id, created_at, id);
      CREATE INDEX ix_operations_resource ON operations (resource_id, created_at);
      -- One operation at a time per resource: a second one is refused by the database itself.
      CREATE UNIQUE INDEX uq_operations_active_resource ON operations (resource_id) WHERE status IN ('queued', 'running');

      CREATE TABLE outbox (
        id bigserial CONSTRAINT pk_outbox PRIMARY KEY,
        operation_id uuid NOT NULL CONSTRAINT fk_outbox_operation REFERENCES operations (id),
        tenant_id uuid NOT NULL,
        queue text NOT NULL,
        job_name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        dispatched_at timestamptz
      );
      CREATE INDEX ix_outbox_pending ON outbox (id) WHERE dispatched_at IS NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outbox, operations, vms, pools, images, flavors, api_keys, tenants`);
  }
}
