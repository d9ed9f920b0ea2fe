import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Which config-drive layout an image's guests read (issue 15): cloud-init's NoCloud, or OpenStack's config-2 for cloudbase-init. */
export class ImageConfigDrive1764000015002 implements MigrationInterface {
  name = 'ImageConfigDrive1764000015002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE images ADD COLUMN config_drive text NOT NULL DEFAULT 'nocloud'
        CONSTRAINT ck_images_config_drive CHECK (config_drive IN ('nocloud', 'config-2'))
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE images DROP COLUMN config_drive`);
  }
}
