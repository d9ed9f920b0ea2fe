import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * NICs added and removed after create (issue 15): each NIC gets a stable id the API names it by (its device may be
 * renumbered before it is plugged), and a status while a worker adds or removes it.
 */
export class VmNicIds1764000021000 implements MigrationInterface {
  name = 'VmNicIds1764000021000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE vm_nics ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid() CONSTRAINT uq_vm_nics_id UNIQUE,
        ADD COLUMN status text NOT NULL DEFAULT 'attached'
          CONSTRAINT ck_vm_nics_status CHECK (status IN ('attaching', 'attached', 'detaching'));
      -- A device moved to a free slot changes the port name the data plane expects.
      CREATE TRIGGER tg_vm_nics_dataplane_update AFTER UPDATE ON vm_nics FOR EACH ROW
        WHEN (OLD.device IS DISTINCT FROM NEW.device) EXECUTE FUNCTION notify_dataplane();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER tg_vm_nics_dataplane_update ON vm_nics;
      ALTER TABLE vm_nics DROP COLUMN status, DROP COLUMN id;
    `);
  }
}
