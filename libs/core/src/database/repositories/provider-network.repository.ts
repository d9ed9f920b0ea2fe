import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { ProviderNetworkEntity } from '../entities/provider-network.entity.js';
import type { ListFilter, Page, PageRequest } from '../pagination.js';
import { affected, one, rows } from '../sql.js';
import { filterBy, pageBy } from './keyset.js';

export type NewProviderNetwork = Omit<
  ProviderNetworkEntity,
  'flowKey' | 'createdAt' | 'updatedAt' | 'bridge' | 'vlanTag' | 'createdOnPool' | 'errorReason'
>;
export type ProviderNetworkPatch = Partial<Omit<ProviderNetworkEntity, 'id' | 'poolId' | 'flowKey' | 'createdAt' | 'updatedAt'>>;

// A tenant sees a provider network shared with all, or one that names it; never a deleted one.
const VISIBLE = `(p.visibility = 'all' OR EXISTS (SELECT 1 FROM provider_network_tenants t WHERE t.provider_network_id = p.id AND t.tenant_id = :tenantId))`;

/**
 * Operator provider networks and who may see them. Operator reads are by id alone (they are no tenant's); a tenant's
 * reads take the tenant id first and see only networks visible to it, so another's is a 404.
 */
@Injectable()
export class ProviderNetworkRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** null when a live provider network already has the name. */
  async insert(tx: EntityManager, n: NewProviderNetwork, tenantIds: string[]): Promise<ProviderNetworkEntity | null> {
    const inserted = await rows<{ id: string }>(
      tx,
      `INSERT INTO provider_networks (id, pool_id, name, cidr, gateway, allocation_pools, dns_servers, xapi_network_uuid, pif_uuid, vlan, visibility, status)
       VALUES ($1, $2, $3, $4::cidr, $5::inet, $6::jsonb, $7::text[], $8, $9, $10, $11, $12)
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        n.id,
        n.poolId,
        n.name,
        n.cidr,
        n.gateway,
        JSON.stringify(n.allocationPools),
        n.dnsServers,
        n.xapiNetworkUuid,
        n.pifUuid,
        n.vlan,
        n.visibility,
        n.status,
      ],
    );
    if (!inserted.length) return null;
    await this.setTenants(tx, n.id, tenantIds);
    return this.find(n.id, tx);
  }

  /** Makes the named tenants exactly `tenantIds`. */
  async setTenants(tx: EntityManager, id: string, tenantIds: string[]): Promise<void> {
    await affected(tx, `DELETE FROM provider_network_tenants WHERE provider_network_id = $1 AND NOT (tenant_id = ANY($2::uuid[]))`, [id, tenantIds]);
    await affected(tx, `INSERT INTO provider_network_tenants (provider_network_id, tenant_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [
      id,
      tenantIds,
    ]);
  }

  async tenantIds(ids: string[], q: EntityManager = this.ds.manager): Promise<Map<string, string[]>> {
    const found = await rows<{ id: string; tenantIds: string[] }>(
      q,
      `SELECT provider_network_id AS id, array_agg(tenant_id ORDER BY tenant_id) AS "tenantIds" FROM provider_network_tenants
       WHERE provider_network_id = ANY($1::uuid[]) GROUP BY provider_network_id`,
      [ids],
    );
    return new Map(found.map((r) => [r.id, r.tenantIds]));
  }

  /** Operator read (and the worker's): any provider network, by id. */
  find(id: string, q: EntityManager = this.ds.manager): Promise<ProviderNetworkEntity | null> {
    return q.findOne(ProviderNetworkEntity, { where: { id } });
  }

  /** Locks the row for a state change (operator PATCH/DELETE, the worker's reconcile). */
  findForUpdate(tx: EntityManager, id: string): Promise<ProviderNetworkEntity | null> {
    return tx.findOne(ProviderNetworkEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** The network if `tenantId` may see it; `lock` (shared) keeps it from being deleted while a NIC attaches. */
  findVisible(tenantId: string, id: string, q: EntityManager = this.ds.manager, lock = false): Promise<ProviderNetworkEntity | null> {
    const qb = q.createQueryBuilder(ProviderNetworkEntity, 'p').where(`p.id = :id AND p.status <> 'deleted' AND ${VISIBLE}`, { id, tenantId });
    return (lock ? qb.setLock('pessimistic_read') : qb).getOne();
  }

  list(page: PageRequest, filter: ListFilter = {}): Promise<Page<ProviderNetworkEntity>> {
    return pageBy(filterBy(this.ds.manager.createQueryBuilder(ProviderNetworkEntity, 'p'), 'p', filter, { hidden: ['deleted'] }), 'p', page);
  }

  /** What one tenant may attach to. */
  listVisible(tenantId: string, page: PageRequest, filter: ListFilter = {}): Promise<Page<ProviderNetworkEntity>> {
    const qb = this.ds.manager.createQueryBuilder(ProviderNetworkEntity, 'p').where(VISIBLE, { tenantId });
    return pageBy(filterBy(qb, 'p', filter, { hidden: ['deleted'] }), 'p', page);
  }

  /** Records the worker's outcome only while the row is still in `from` (a delete meanwhile wins). */
  async settle(q: EntityManager, id: string, from: ProviderNetworkEntity['status'], patch: ProviderNetworkPatch): Promise<boolean> {
    const done = await q.update(ProviderNetworkEntity, { id, status: from }, { ...patch, updatedAt: () => 'now()' });
    return (done.affected ?? 0) > 0;
  }

  async update(tx: EntityManager, id: string, patch: ProviderNetworkPatch): Promise<void> {
    // TypeORM serialises a jsonb column's value itself.
    await tx.update(ProviderNetworkEntity, { id }, { ...patch, updatedAt: () => 'now()' });
  }

  /** The addresses handed out, and the first 100 VMs holding them (oldest first): what a delete must wait for. */
  async addressesInUse(id: string, q: EntityManager = this.ds.manager): Promise<{ count: number; vmIds: string[] }> {
    const n = await one<{ n: number }>(q, `SELECT count(*)::int AS n FROM vm_nics WHERE provider_network_id = $1`, [id]);
    const vms = await rows<{ id: string }>(
      q,
      `SELECT DISTINCT v.id, v.created_at FROM vm_nics n JOIN vms v ON v.id = n.vm_id WHERE n.provider_network_id = $1 ORDER BY v.created_at, v.id LIMIT 100`,
      [id],
    );
    return { count: n!.n, vmIds: vms.map((v) => v.id) };
  }

  /** Held addresses (first 100) that no pool of `pools` contains. */
  async heldOutside(tx: EntityManager, id: string, pools: { start: string; end: string }[]): Promise<string[]> {
    const found = await rows<{ ip: string }>(
      tx,
      `SELECT host(n.ip) AS ip FROM vm_nics n WHERE n.provider_network_id = $1
       AND NOT EXISTS (SELECT 1 FROM unnest($2::inet[], $3::inet[]) AS r(s, e) WHERE n.ip BETWEEN r.s AND r.e) ORDER BY n.ip LIMIT 100`,
      [id, pools.map((p) => p.start), pools.map((p) => p.end)],
    );
    return found.map((r) => r.ip);
  }

  /** The worker's reconciler: provider networks with work to do on their pools, oldest first. */
  toReconcile(): Promise<ProviderNetworkEntity[]> {
    return this.ds.manager
      .createQueryBuilder(ProviderNetworkEntity, 'p')
      .where(`p.status IN ('pending', 'deleting')`)
      .orderBy('p.created_at')
      .getMany();
  }
}
