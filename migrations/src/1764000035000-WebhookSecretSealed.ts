import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook secrets sealed at rest (issue 19): `secret_sealed` holds SecretBox(USER_DATA_KEY) of the signing secret. SQL
 * cannot seal, so rows made before keep their plain `secret` until the API seals them at boot (then it is null).
 */
export class WebhookSecretSealed1764000035000 implements MigrationInterface {
  name = 'WebhookSecretSealed1764000035000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE webhooks ADD COLUMN secret_sealed bytea;
      ALTER TABLE webhooks ALTER COLUMN secret DROP NOT NULL;
      ALTER TABLE webhooks ADD CONSTRAINT ck_webhooks_secret CHECK (secret IS NOT NULL OR secret_sealed IS NOT NULL);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    // A sealed secret cannot be opened here: those webhooks go (their receivers must be registered again).
    await q.query(`
      DELETE FROM webhooks WHERE secret IS NULL;
      ALTER TABLE webhooks DROP CONSTRAINT ck_webhooks_secret;
      ALTER TABLE webhooks ALTER COLUMN secret SET NOT NULL;
      ALTER TABLE webhooks DROP COLUMN secret_sealed;
    `);
  }
}
