import type { MigrationInterface, QueryRunner } from 'typeorm';

/** How workers trust a registered pool's certificate: a CA (PEM) or the certificate's SHA-256 fingerprint (issue 11). */
export class PoolTlsPins1764000011100 implements MigrationInterface {
  name = 'PoolTlsPins1764000011100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE pools
        ADD COLUMN tls_ca_pem text,
        ADD COLUMN tls_fingerprint text CONSTRAINT ck_pools_tls_fingerprint CHECK (tls_fingerprint ~ '^([0-9A-F]{2}:){31}[0-9A-F]{2}$'),
        ADD CONSTRAINT ck_pools_tls_one_pin CHECK (tls_ca_pem IS NULL OR tls_fingerprint IS NULL);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE pools DROP CONSTRAINT ck_pools_tls_one_pin, DROP COLUMN tls_fingerprint, DROP COLUMN tls_ca_pem`);
  }
}
