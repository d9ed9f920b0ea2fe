import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { PoolEntity } from '../entities/pool.entity.js';
import type { ListFilter, Page, PageRequest } from '../pagination.js';
import { affected, one, rows } from '../sql.js';
import { filterBy, pageBy } from './keyset.js';

export type NewPool = Pick<PoolEntity, 'id' | 'name' | 'url' | 'username' | 'passwordEnc'> & Partial<Pick<PoolEntity, 'tlsCaPem' | 'tlsFingerprint'>>;

export type PoolPlacementPatch = Partial<
  Pick<PoolEntity, 'region' | 'zone' | 'weight' | 'cpuAllocationRatio' | 'memoryAllocationRatio' | 'hostFailureGraceSeconds'>
>;

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

  /** Every pool; `q` is the caller's transaction when it holds one (a second pooled connection inside it can starve the pool). */
  all(q: EntityManager = this.ds.manager): Promise<PoolEntity[]> {
    return q.find(PoolEntity, { order: { createdAt: 'ASC' } });
  }

  /** The pool named by XAPI_* at start; created or updated in place so restarts keep its id. */
  async upsertFromEnv(tx: EntityManager, url: string, username: string): Promise<PoolEntity> {
    // API and worker processes start together: without this, a racing insert trips uq_pools_name, which ON CONFLICT does not arbitrate.
    await rows(tx, `SELECT pg_advisory_xact_lock(hashtext('xenplane:pool-from-env'))`);
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

  /** The operator's placement settings; null when there is no such pool. */
  async updatePlacement(tx: EntityManager, id: string, patch: PoolPlacementPatch): Promise<PoolEntity | null> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const columns: Record<keyof PoolPlacementPatch, string> = {
      region: 'region',
      zone: 'zone',
      weight: 'weight',
      cpuAllocationRatio: 'cpu_allocation_ratio',
      memoryAllocationRatio: 'memory_allocation_ratio',
      hostFailureGraceSeconds: 'host_failure_grace_seconds',
    };
    for (const [key, column] of Object.entries(columns) as [keyof PoolPlacementPatch, string][]) {
      if (patch[key] === undefined) continue;
      params.push(patch[key]);
      sets.push(`${column} = $${params.length}`);
    }
    if (sets.length && !(await affected(tx, `UPDATE pools SET ${sets.join(', ')} WHERE id = $1`, params))) return null;
    return tx.findOne(PoolEntity, { where: { id } });
  }

  /** Free space on the pool's default SR, as the last sync saw it. */
  async recordSrFree(tx: EntityManager, id: string, bytes: number | null): Promise<void> {
    await affected(tx, `UPDATE pools SET sr_free_bytes = $2 WHERE id = $1`, [id, bytes]);
  }

  /** Connected, unless held: an identity mismatch is cleared only by an operator (resolveIdentity). */
  async markConnected(tx: EntityManager, id: string, xapiPoolUuid: string): Promise<void> {
    await affected(
      tx,
      `UPDATE pools SET status = 'connected', last_error = NULL, last_seen_at = now(), xapi_pool_uuid = $2
        WHERE id = $1 AND status <> 'identity_mismatch' AND coalesce(xapi_pool_uuid, $2) = $2`,
      [id, xapiPoolUuid],
    );
  }

  async markError(tx: EntityManager, id: string, error: string): Promise<void> {
    await affected(tx, `UPDATE pools SET status = 'error', last_error = $2 WHERE id = $1 AND status <> 'identity_mismatch'`, [
      id,
      error.slice(0, 500),
    ]);
  }

  /** First contact records the identity; returns the one recorded (ours or a racing worker's), null without a row. */
  async recordIdentity(tx: EntityManager, id: string, xapiPoolUuid: string): Promise<string | null> {
    const row = await one<{ uuid: string }>(
      tx,
      `UPDATE pools SET xapi_pool_uuid = coalesce(xapi_pool_uuid, $2) WHERE id = $1 RETURNING xapi_pool_uuid AS uuid`,
      [id, xapiPoolUuid],
    );
    return row?.uuid ?? null;
  }

  /** Holds the pool; true when this call is the one that held it (the first to see the mismatch). */
  async markIdentityMismatch(tx: EntityManager, id: string, observed: string): Promise<boolean> {
    const message = `the pool answers with pool uuid ${observed}, not the one registered: held until an operator adopts or reverts`;
    return (
      (await affected(
        tx,
        `UPDATE pools SET status = 'identity_mismatch', observed_xapi_pool_uuid = $2, last_error = $3
          WHERE id = $1 AND observed_xapi_pool_uuid IS DISTINCT FROM $2`,
        [id, observed, message],
      )) > 0
    );
  }

  /**
   * An operator's answer to a held pool: adopt takes the observed uuid as the pool's identity, revert keeps the
   * recorded one; either way the pool is pending again and the next connection checks it. Null when not held.
   */
  async resolveIdentity(tx: EntityManager, id: string, action: 'adopt' | 'revert'): Promise<PoolEntity | null> {
    const uuid = action === 'adopt' ? 'observed_xapi_pool_uuid' : 'xapi_pool_uuid';
    const changed = await affected(
      tx,
      `UPDATE pools SET xapi_pool_uuid = ${uuid}, observed_xapi_pool_uuid = NULL, status = 'pending', last_error = NULL
        WHERE id = $1 AND status = 'identity_mismatch'`,
      [id],
    );
    if (!changed) return null;
    await rows(tx, `SELECT pg_notify('pools', $1)`, [id]);
    return tx.findOne(PoolEntity, { where: { id } });
  }
}
