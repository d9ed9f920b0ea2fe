import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { affected, one, rows } from '../sql.js';

export interface ObservedTemplate {
  uuid: string;
  nameLabel: string;
  rootDiskBytes: number | null;
}

/** A template as the pool showed it at its last sync. */
export interface PoolTemplate extends ObservedTemplate {
  updatedAt: Date;
}

/** Each pool's templates as pool sync last saw them: what an image's template makes, known before a VM is accepted. */
@Injectable()
export class PoolTemplateRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Makes the pool's templates exactly `templates`; `tx` makes it one change. */
  async replaceForPool(tx: EntityManager, poolId: string, templates: ObservedTemplate[]): Promise<void> {
    await affected(
      tx,
      `INSERT INTO pool_templates (pool_id, xapi_uuid, name_label, root_disk_bytes)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[])
       ON CONFLICT (pool_id, xapi_uuid) DO UPDATE SET name_label = EXCLUDED.name_label, root_disk_bytes = EXCLUDED.root_disk_bytes, updated_at = now()`,
      [poolId, templates.map((t) => t.uuid), templates.map((t) => t.nameLabel), templates.map((t) => t.rootDiskBytes)],
    );
    await affected(tx, `DELETE FROM pool_templates WHERE pool_id = $1 AND NOT (xapi_uuid = ANY($2::text[]))`, [poolId, templates.map((t) => t.uuid)]);
  }

  /**
   * The boot disk size (bytes) a clone of `template` (a uuid or name_label, as images name it) gets on the pool; the
   * largest when several templates share the name; null when the pool has not shown such a template (yet).
   */
  async rootDiskBytes(poolId: string, template: string, q: EntityManager = this.ds.manager): Promise<number | null> {
    const row = await one<{ bytes: string | null }>(
      q,
      `SELECT max(root_disk_bytes)::text AS bytes FROM pool_templates WHERE pool_id = $1 AND (xapi_uuid = $2 OR name_label = $2)`,
      [poolId, template],
    );
    return row?.bytes ? Number(row.bytes) : null;
  }

  /** Whether the pool showed a template of that uuid or name_label at its last sync. */
  async has(poolId: string, template: string): Promise<boolean> {
    const found = await rows(this.ds.manager, `SELECT 1 FROM pool_templates WHERE pool_id = $1 AND (xapi_uuid = $2 OR name_label = $2) LIMIT 1`, [
      poolId,
      template,
    ]);
    return found.length > 0;
  }

  /** The pool's templates by name (then uuid); `name`: those whose name_label contains it, ignoring case. */
  list(poolId: string, name?: string): Promise<PoolTemplate[]> {
    return rows<PoolTemplate>(
      this.ds.manager,
      `SELECT xapi_uuid AS uuid, name_label AS "nameLabel", root_disk_bytes::float8 AS "rootDiskBytes", updated_at AS "updatedAt"
       FROM pool_templates WHERE pool_id = $1 AND ($2::text IS NULL OR strpos(lower(name_label), lower($2)) > 0)
       ORDER BY name_label, xapi_uuid`,
      [poolId, name ?? null],
    );
  }
}
