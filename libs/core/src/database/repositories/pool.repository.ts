import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { PoolEntity } from '../entities/pool.entity.js';
import type { ListFilter, Page, PageRequest } from '../pagination.js';
import { affected, one, rows } from '../sql.js';
import { filterBy, pageBy } from './keyset.js';

export type NewPool = Pick<PoolEntity, 'id' | 'name' | 'url' | 'username' | 'passwordEnc'> & Partial<Pick<PoolEntity, 'tlsCaPem' | 'tlsFingerprint'>>;

/** Pools are operator-level (not tenant-scoped). */
@Injectable()
export class PoolRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(tx: EntityManager, pool: NewPool): Promise<PoolEntity> {
    const inserted = await tx
      .createQueryBuilder()
      .insert()
      .into(PoolEntity)
      .values({ ...pool, fromEnv: false, status: 'pending' })
      .returning('*')
      .execute();
    await rows(tx, `SELECT pg_notify('pools', $1)`, [pool.id]);
    return tx.create(PoolEntity, inserted.generatedMaps[0] as PoolEntity);
  }

  find(id: string): Promise<PoolEntity | null> {
    return this.ds.manager.findOne(PoolEntity, { where: { id } });
  }

  list(page: PageRequest, filter: ListFilter = {}): Promise<Page<PoolEntity>> {
    return pageBy(filterBy(this.ds.manager.createQueryBuilder(PoolEntity, 'p'), 'p', filter), 'p', page);
  }

  all(): Promise<PoolEntity[]> {
    return this.ds.manager.find(PoolEntity, { order: { createdAt: 'ASC' } });
  }

  /** The pool named by XAPI_* at start; created or updated in place so restarts keep its id. */
  async upsertFromEnv(tx: EntityManager, url: string, username: string): Promise<PoolEntity> {
    const row = await one<{ id: string }>(
      tx,
      `INSERT INTO pools (id, name, url, username, from_env) VALUES ($1, 'default', $2, $3, true)
       ON CONFLICT (from_env) WHERE from_env DO UPDATE SET url = EXCLUDED.url, username = EXCLUDED.username
       RETURNING id`,
      [randomUUID(), url, username],
    );
    return (await tx.findOne(PoolEntity, { where: { id: row!.id } }))!;
  }

  async findDefault(): Promise<PoolEntity | null> {
    return this.ds.manager.findOne(PoolEntity, { where: { fromEnv: true } });
  }

  async markConnected(tx: EntityManager, id: string, xapiPoolUuid: string): Promise<void> {
    await affected(tx, `UPDATE pools SET status = 'connected', last_error = NULL, last_seen_at = now(), xapi_pool_uuid = $2 WHERE id = $1`, [
      id,
      xapiPoolUuid,
    ]);
  }

  async markError(tx: EntityManager, id: string, error: string): Promise<void> {
    await affected(tx, `UPDATE pools SET status = 'error', last_error = $2 WHERE id = $1`, [id, error.slice(0, 500)]);
  }
}
