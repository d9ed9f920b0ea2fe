import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The sizes a running VM may grow to without a stop (VCPUs_max, memory_static_max); earlier VMs had none above their size (issue 14). */
export class VmLiveMax1764000014201 implements MigrationInterface {
  name = 'VmLiveMax1764000014201';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE vms ADD COLUMN live_max_vcpus int, ADD COLUMN live_max_memory_mib int;
      UPDATE vms SET live_max_vcpus = vcpus, live_max_memory_mib = memory_mib;
      ALTER TABLE vms
        ADD CONSTRAINT ck_vms_live_max_vcpus CHECK (live_max_vcpus >= vcpus),
        ADD CONSTRAINT ck_vms_live_max_memory CHECK (live_max_memory_mib >= memory_mib);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE vms DROP CONSTRAINT ck_vms_live_max_memory, DROP CONSTRAINT ck_vms_live_max_vcpus, DROP COLUMN live_max_memory_mib, DROP COLUMN live_max_vcpus`,
    );
  }
}
