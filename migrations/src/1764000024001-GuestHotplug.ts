import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whether a VM's guest can hot-plug disks, as its agent last told XAPI (VM_guest_metrics.can_use_hotplug_vbd, and PV
 * drivers when it says nothing); null while unknown. The API refuses an attach to a running VM that cannot (issue 17).
 */
export class GuestHotplug1764000024001 implements MigrationInterface {
  name = 'GuestHotplug1764000024001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vms ADD COLUMN hotplug_vbd boolean`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vms DROP COLUMN hotplug_vbd`);
  }
}
