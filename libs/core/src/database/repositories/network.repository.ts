import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { NetworkEntity } from '../entities/network.entity.js';
import type { ListFilter, Page, PageRequest } from '../pagination.js';
import { rows } from '../sql.js';
import { filterBy, pageBy } from './keyset.js';

export const VNI_MIN = 4096;
export const VNI_MAX = 16_777_215;

export type NewNetwork = Pick<NetworkEntity, 'id' | 'tenantId' | 'poolId' | 'name' | 'cidr'>;

// The lowest VNI no live network holds: VNI_MIN if free, else one past the first live VNI whose successor is free.
const LOWEST_FREE_VNI = `
  SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM networks WHERE vni = ${VNI_MIN} AND status <> 'deleted') THEN ${VNI_MIN}
    ELSE (SELECT min(n.vni) + 1 FROM networks n WHERE n.status <> 'deleted'
          AND NOT EXISTS (SELECT 1 FROM networks m WHERE m.vni = n.vni + 1 AND m.status <> 'deleted')) END AS vni`;

/** Tenant networks; writes take the transaction first, then every method the tenant id. */
@Injectable()
export class NetworkRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Inserts the network with the lowest free VNI; null when a concurrent insert took that VNI first (the unique
   * index answers, without aborting `tx`) or none is left, so the caller retries.
   */
  async insertWithFreeVni(tx: EntityManager, n: NewNetwork): Promise<NetworkEntity | null> {
    const inserted = await rows<{ id: string }>(
      tx,
      `INSERT INTO networks (id, tenant_id, pool_id, name, cidr, vni, status)
       SELECT $1, $2, $3, $4, $5::cidr, free.vni, 'pending' FROM (${LOWEST_FREE_VNI}) free WHERE free.vni <= ${VNI_MAX}
       ON CONFLICT DO NOTHING RETURNING id`,
      [n.id, n.tenantId, n.poolId, n.name, n.cidr],
    );
    return inserted.length ? this.find(n.tenantId, n.id, tx) : null;
  }

  find(tenantId: string, id: string, q: EntityManager = this.ds.manager): Promise<NetworkEntity | null> {
    return q.findOne(NetworkEntity, { where: { tenantId, id } });
  }

  /** Locks the row for the rest of `tx`: `write` for a state change, `read` so it cannot change while a VM attaches. */
  findLocked(tx: EntityManager, tenantId: string, id: string, mode: 'write' | 'read'): Promise<NetworkEntity | null> {
    return tx.findOne(NetworkEntity, { where: { tenantId, id }, lock: { mode: mode === 'write' ? 'pessimistic_write' : 'pessimistic_read' } });
  }

  /** One tenant's networks, deleted ones only when `filter.status` asks for them. */
  list(tenantId: string, page: PageRequest, filter: ListFilter = {}): Promise<Page<NetworkEntity>> {
    const qb = this.ds.manager.createQueryBuilder(NetworkEntity, 'net').where('net.tenant_id = :tenantId', { tenantId });
    return pageBy(filterBy(qb, 'net', filter, { hidden: ['deleted'] }), 'net', page);
  }

  /** Cross-tenant (the operators' view): every tenant's networks, filtered as `list`. */
  listAllTenants(page: PageRequest, filter: ListFilter = {}): Promise<Page<NetworkEntity>> {
    return pageBy(filterBy(this.ds.manager.createQueryBuilder(NetworkEntity, 'net'), 'net', filter, { hidden: ['deleted'] }), 'net', page);
  }

  async update(tx: EntityManager, tenantId: string, id: string, patch: Partial<Omit<NetworkEntity, 'presence'>>): Promise<void> {
    await tx.update(NetworkEntity, { tenantId, id }, { ...patch, updatedAt: () => 'now()' });
  }

  /** Whether any VM that is not deleted has a NIC on the network. */
  async hasAttachedVms(tenantId: string, id: string, q: EntityManager = this.ds.manager): Promise<boolean> {
    const attached = await rows(
      q,
      `SELECT 1 FROM vm_nics n JOIN vms v ON v.id = n.vm_id
       WHERE n.tenant_id = $1 AND n.network_id = $2 AND v.status <> 'deleted' LIMIT 1`,
      [tenantId, id],
    );
    return attached.length > 0;
  }
}
