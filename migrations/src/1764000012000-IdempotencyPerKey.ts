import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency keys belong to the API key that sent them (issue 11): a tenant-wide scope let a member replay an
 * admin's answer, token included. Operator scopes already named their key; tenant scopes cannot be attributed
 * to one, so they go, and no stored answer keeps a token.
 */
export class IdempotencyPerKey1764000012000 implements MigrationInterface {
  name = 'IdempotencyPerKey1764000012000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE idempotency_keys SET scope = 'key:' || substr(scope, length('operator:') + 1) WHERE scope LIKE 'operator:%';
      DELETE FROM idempotency_keys WHERE scope NOT LIKE 'key:%';
      UPDATE idempotency_keys SET response_body = jsonb_set(response_body, '{token}', 'null')
        WHERE jsonb_typeof(response_body) = 'object' AND response_body ? 'token';
      ALTER TABLE idempotency_keys ADD CONSTRAINT ck_idempotency_keys_scope CHECK (scope LIKE 'key:%');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    // Tenant keys' records would collide in a tenant-wide scope, so they go; operators' get their old scope back.
    await q.query(`
      ALTER TABLE idempotency_keys DROP CONSTRAINT ck_idempotency_keys_scope;
      DELETE FROM idempotency_keys i USING api_keys a WHERE a.id::text = substr(i.scope, 5) AND a.tenant_id IS NOT NULL;
      UPDATE idempotency_keys SET scope = 'operator:' || substr(scope, 5);
    `);
  }
}
