import type { MigrationInterface, QueryRunner } from 'typeorm';

/** API keys count against a quota dimension of their own (issue 11): each key is also a rate-limit budget. */
export class ApiKeyQuota1764000012100 implements MigrationInterface {
  name = 'ApiKeyQuota1764000012100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE tenant_quotas
        ADD COLUMN api_keys_limit int CONSTRAINT ck_tenant_quotas_api_keys_limit CHECK (api_keys_limit >= 0),
        ADD COLUMN api_keys_used int NOT NULL DEFAULT 0 CONSTRAINT ck_tenant_quotas_api_keys_used CHECK (api_keys_used >= 0);
      ALTER TABLE quota_ledger ADD COLUMN api_keys int NOT NULL DEFAULT 0;
      ALTER TABLE quota_ledger ALTER COLUMN api_keys DROP DEFAULT;

      -- Existing tenants start with the keys they hold now, each live key recorded as one charge (usage = the ledger's sum).
      UPDATE tenant_quotas t SET api_keys_used = k.n
        FROM (SELECT tenant_id, count(*)::int AS n FROM api_keys WHERE tenant_id IS NOT NULL AND revoked_at IS NULL GROUP BY tenant_id) k
        WHERE k.tenant_id = t.tenant_id;
      INSERT INTO quota_ledger (tenant_id, resource_id, operation_id, kind, vms, vcpus, memory_mib, disk_gib, networks, api_keys)
        SELECT k.tenant_id, k.id, k.id, 'charge', 0, 0, 0, 0, 0, 1
        FROM api_keys k JOIN tenant_quotas t ON t.tenant_id = k.tenant_id
        WHERE k.revoked_at IS NULL
        ON CONFLICT DO NOTHING;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM quota_ledger WHERE api_keys <> 0 AND vms = 0 AND vcpus = 0 AND memory_mib = 0 AND disk_gib = 0 AND networks = 0;
      ALTER TABLE quota_ledger DROP COLUMN api_keys;
      ALTER TABLE tenant_quotas DROP COLUMN api_keys_used, DROP COLUMN api_keys_limit;
    `);
  }
}
