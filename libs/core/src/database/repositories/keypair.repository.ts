import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { KeypairEntity } from '../entities/keypair.entity.js';
import type { Page, PageRequest } from '../pagination.js';
import { affected, one, rows } from '../sql.js';
import { pageBy } from './keyset.js';

export type NewKeypair = Omit<KeypairEntity, 'createdAt'>;

const COLUMNS = `id, tenant_id AS "tenantId", name, public_key AS "publicKey", fingerprint, created_at AS "createdAt"`;

/** Tenants' SSH keypairs; writes take the transaction first, then every method the tenant id. */
@Injectable()
export class KeypairRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Inserts the keypair; null when the tenant already has one of that name (the unique index answers without aborting `tx`). */
  async insert(tx: EntityManager, k: NewKeypair): Promise<KeypairEntity | null> {
    const row = await one<KeypairEntity>(
      tx,
      `INSERT INTO keypairs (id, tenant_id, name, public_key, fingerprint) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT ON CONSTRAINT uq_keypairs_name DO NOTHING RETURNING ${COLUMNS}`,
      [k.id, k.tenantId, k.name, k.publicKey, k.fingerprint],
    );
    return row ?? null;
  }

  find(tenantId: string, id: string, q: EntityManager = this.ds.manager): Promise<KeypairEntity | null> {
    return q.findOne(KeypairEntity, { where: { tenantId, id } });
  }

  /** The tenant's keypairs among `ids`, in no particular order (missing ones are simply absent). */
  findMany(tenantId: string, ids: string[], q: EntityManager = this.ds.manager): Promise<KeypairEntity[]> {
    if (!ids.length) return Promise.resolve([]);
    return rows<KeypairEntity>(q, `SELECT ${COLUMNS} FROM keypairs WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, [tenantId, ids]);
  }

  list(tenantId: string, page: PageRequest): Promise<Page<KeypairEntity>> {
    return pageBy(this.ds.manager.createQueryBuilder(KeypairEntity, 'k').where('k.tenant_id = :tenantId', { tenantId }), 'k', page);
  }

  async delete(tx: EntityManager, tenantId: string, id: string): Promise<boolean> {
    return (await affected(tx, `DELETE FROM keypairs WHERE tenant_id = $1 AND id = $2`, [tenantId, id])) === 1;
  }
}
