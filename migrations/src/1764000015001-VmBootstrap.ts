import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a VM's config drive is built from (issue 15): hostname, the public keys it was created with (copied, so a
 * keypair deleted later still boots the same guest), user-data sealed at rest with its sha256; the addresses guests
 * report per NIC; the audit log's digests of secret request fields.
 */
export class VmBootstrap1764000015001 implements MigrationInterface {
  name = 'VmBootstrap1764000015001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE vm_bootstrap (
        vm_id uuid CONSTRAINT pk_vm_bootstrap PRIMARY KEY CONSTRAINT fk_vm_bootstrap_vm REFERENCES vms (id) ON DELETE CASCADE,
        tenant_id uuid NOT NULL CONSTRAINT fk_vm_bootstrap_tenant REFERENCES tenants (id),
        hostname text NOT NULL CONSTRAINT ck_vm_bootstrap_hostname CHECK (length(hostname) BETWEEN 1 AND 253),
        keypair_ids uuid[] NOT NULL DEFAULT '{}',
        ssh_keys text[] NOT NULL DEFAULT '{}',
        user_data_sealed bytea,
        user_data_sha256 text,
        CONSTRAINT ck_vm_bootstrap_user_data CHECK ((user_data_sealed IS NULL) = (user_data_sha256 IS NULL))
      );
      ALTER TABLE vm_nics ADD COLUMN guest_ips text[] NOT NULL DEFAULT '{}';
      ALTER TABLE audit_log ADD COLUMN details jsonb;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE audit_log DROP COLUMN details;
      ALTER TABLE vm_nics DROP COLUMN guest_ips;
      DROP TABLE vm_bootstrap;
    `);
  }
}
