import type { MigrationInterface, QueryRunner } from 'typeorm';

const KINDS = ['vms', 'networks'] as const;

/** VMs and networks take a description and tags beside their name, changed by PATCH without an operation (issue 14). */
export class ResourceDetails1764000014001 implements MigrationInterface {
  name = 'ResourceDetails1764000014001';

  async up(q: QueryRunner): Promise<void> {
    for (const t of KINDS) {
      await q.query(`
        ALTER TABLE ${t}
          ADD COLUMN description text NOT NULL DEFAULT '' CONSTRAINT ck_${t}_description CHECK (char_length(description) <= 1000),
          ADD COLUMN tags text[] NOT NULL DEFAULT '{}' CONSTRAINT ck_${t}_tags CHECK (cardinality(tags) <= 50);
      `);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of KINDS) await q.query(`ALTER TABLE ${t} DROP COLUMN description, DROP COLUMN tags`);
  }
}
