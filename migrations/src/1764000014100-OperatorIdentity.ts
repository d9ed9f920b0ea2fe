import type { MigrationInterface, QueryRunner } from 'typeorm';

const NIL = '00000000-0000-0000-0000-000000000000';

/**
 * Operator identity (issue 14): keys expire, rotate and show when they were last used; the bootstrap token gets a
 * named key row of its own (audit rows named it by the nil uuid); audit rows keep the key's name; tenants can be
 * suspended; `npm start` keeps its demo token with the database.
 */
export class OperatorIdentity1764000014100 implements MigrationInterface {
  name = 'OperatorIdentity1764000014100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE api_keys
        ADD COLUMN expires_at timestamptz,
        ADD COLUMN last_used_at timestamptz,
        ADD COLUMN rotated_from uuid CONSTRAINT fk_api_keys_rotated_from REFERENCES api_keys (id),
        ADD COLUMN bootstrap boolean NOT NULL DEFAULT false,
        ADD CONSTRAINT ck_api_keys_bootstrap CHECK (NOT bootstrap OR role = 'operator');
      -- One bootstrap identity; its prefix is not hex, so no generated token ever looks it up.
      CREATE UNIQUE INDEX uq_api_keys_bootstrap ON api_keys (bootstrap) WHERE bootstrap;
      CREATE INDEX ix_api_keys_operator ON api_keys (created_at, id) WHERE tenant_id IS NULL;
      INSERT INTO api_keys (id, tenant_id, role, name, prefix, secret_hash, bootstrap)
        VALUES (gen_random_uuid(), NULL, 'operator', 'bootstrap', 'bootstrap', '\\x', true);

      ALTER TABLE audit_log ADD COLUMN api_key_name text;
      UPDATE audit_log SET api_key_id = (SELECT id FROM api_keys WHERE bootstrap) WHERE api_key_id = '${NIL}';
      UPDATE audit_log a SET api_key_name = k.name FROM api_keys k WHERE k.id = a.api_key_id;

      ALTER TABLE tenants ADD COLUMN suspended_at timestamptz;

      CREATE TABLE launcher_state (
        id int CONSTRAINT pk_launcher_state PRIMARY KEY CONSTRAINT ck_launcher_state_one CHECK (id = 1),
        demo_operator_token text NOT NULL
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE launcher_state;
      ALTER TABLE tenants DROP COLUMN suspended_at;
      UPDATE audit_log SET api_key_id = '${NIL}' WHERE api_key_id = (SELECT id FROM api_keys WHERE bootstrap);
      ALTER TABLE audit_log DROP COLUMN api_key_name;
      UPDATE api_keys SET rotated_from = NULL;
      DELETE FROM api_keys WHERE bootstrap;
      DROP INDEX ix_api_keys_operator;
      ALTER TABLE api_keys DROP COLUMN bootstrap, DROP COLUMN rotated_from, DROP COLUMN last_used_at, DROP COLUMN expires_at;
    `);
  }
}
