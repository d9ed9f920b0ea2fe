import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Restart after host failure (issue 18): a pool's grace period before a host whose metrics are not live is declared
 * dead; when the detector first saw it not live, and when it declared it; a flavor's default for its VMs' `restart`,
 * which a VM row takes at insert unless given one (so every create path gets it without naming it).
 */
export class HostFailure1764000028000 implements MigrationInterface {
  name = 'HostFailure1764000028000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE pools ADD COLUMN host_failure_grace_seconds int NOT NULL DEFAULT 60
        CONSTRAINT ck_pools_host_failure_grace CHECK (host_failure_grace_seconds BETWEEN 0 AND 86400);
      ALTER TABLE hosts ADD COLUMN not_live_since timestamptz, ADD COLUMN failed_at timestamptz;
      ALTER TABLE flavors ADD COLUMN restart_on_host_failure boolean NOT NULL DEFAULT false;
      ALTER TABLE vms ADD COLUMN restart boolean;
      UPDATE vms SET restart = false;
      ALTER TABLE vms ALTER COLUMN restart SET NOT NULL;

      CREATE FUNCTION vms_restart_default() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.restart IS NULL THEN
          NEW.restart := coalesce((SELECT f.restart_on_host_failure FROM flavors f WHERE f.id = NEW.flavor_id), false);
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER tg_vms_restart_default BEFORE INSERT ON vms FOR EACH ROW EXECUTE FUNCTION vms_restart_default();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER tg_vms_restart_default ON vms;
      DROP FUNCTION vms_restart_default();
      ALTER TABLE vms DROP COLUMN restart;
      ALTER TABLE flavors DROP COLUMN restart_on_host_failure;
      ALTER TABLE hosts DROP COLUMN failed_at, DROP COLUMN not_live_since;
      ALTER TABLE pools DROP COLUMN host_failure_grace_seconds;
    `);
  }
}
