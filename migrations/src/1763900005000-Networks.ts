import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tenant networks (one IPv4 subnet, a VXLAN VNI each) and the NICs that hold their addresses (issue 6). */
export class Networks1763900005000 implements MigrationInterface {
  name = 'Networks1763900005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE networks (
        id uuid CONSTRAINT pk_networks PRIMARY KEY,
        tenant_id uuid NOT NULL CONSTRAINT fk_networks_tenant REFERENCES tenants (id),
        pool_id uuid NOT NULL CONSTRAINT fk_networks_pool REFERENCES pools (id),
        name text NOT NULL,
        cidr cidr NOT NULL,
        vni int NOT NULL CONSTRAINT ck_networks_vni CHECK (vni BETWEEN 4096 AND 16777215),
        status text NOT NULL CONSTRAINT ck_networks_status CHECK (status IN ('pending', 'active', 'deleting', 'deleted', 'error')),
        xapi_uuid text,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX ix_networks_tenant ON networks (tenant_id, created_at, id);
      -- A VNI is reused only once its network is gone; concurrent allocations race on this index and retry.
      CREATE UNIQUE INDEX uq_networks_vni ON networks (vni) WHERE status <> 'deleted';

      -- Rows live exactly as long as the VM holds the address: deleted with the VM, so the pool needs no flag.
      CREATE TABLE vm_nics (
        vm_id uuid NOT NULL CONSTRAINT fk_vm_nics_vm REFERENCES vms (id),
        tenant_id uuid NOT NULL CONSTRAINT fk_vm_nics_tenant REFERENCES tenants (id),
        network_id uuid NOT NULL CONSTRAINT fk_vm_nics_network REFERENCES networks (id),
        device int NOT NULL CONSTRAINT ck_vm_nics_device CHECK (device BETWEEN 0 AND 6),
        mac macaddr NOT NULL,
        ip inet NOT NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        CONSTRAINT pk_vm_nics PRIMARY KEY (vm_id, device),
        CONSTRAINT uq_vm_nics_ip UNIQUE (network_id, ip),
        CONSTRAINT uq_vm_nics_mac UNIQUE (network_id, mac)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE vm_nics, networks`);
  }
}
