import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { ServerGroupEntity } from '../entities/server-group.entity.js';
import type { ListFilter, Page, PageRequest } from '../pagination.js';
import { affected, one, rows } from '../sql.js';
import { filterBy, pageBy } from './keyset.js';

const COLUMNS = `id, tenant_id AS "tenantId", name, policy, created_at AS "createdAt"`;

/** Tenants' server groups; writes take the transaction first, then every method the tenant id. */
@Injectable()
export class ServerGroupRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Inserts the group; null when the tenant already has one of that name. */
  async insert(tx: EntityManager, g: Omit<ServerGroupEntity, 'createdAt'>): Promise<ServerGroupEntity | null> {
    const row = await one<ServerGroupEntity>(
      tx,
      `INSERT INTO server_groups (id, tenant_id, name, policy) VALUES ($1, $2, $3, $4)
       ON CONFLICT ON CONSTRAINT uq_server_groups_name DO NOTHING RETURNING ${COLUMNS}`,
      [g.id, g.tenantId, g.name, g.policy],
    );
    return row ?? null;
  }

  find(tenantId: string, id: string, q: EntityManager = this.ds.manager): Promise<ServerGroupEntity | null> {
    return q.findOne(ServerGroupEntity, { where: { tenantId, id } });
  }

  /** Locks the group for the rest of `tx`: placements into one group take turns, so two cannot pick the same host. */
  async lock(tx: EntityManager, tenantId: string, id: string): Promise<ServerGroupEntity | null> {
    return (
      (await one<ServerGroupEntity>(tx, `SELECT ${COLUMNS} FROM server_groups WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tenantId, id])) ?? null
    );
  }

  list(tenantId: string, page: PageRequest, filter: ListFilter = {}): Promise<Page<ServerGroupEntity>> {
    const qb = this.ds.manager.createQueryBuilder(ServerGroupEntity, 'g').where('g.tenant_id = :tenantId', { tenantId });
    return pageBy(filterBy(qb, 'g', filter, { statusColumn: null }), 'g', page);
  }

  /** The live VMs in each group, by group id. */
  async memberIds(tenantId: string, groupIds: string[], q: EntityManager = this.ds.manager): Promise<Map<string, string[]>> {
    if (!groupIds.length) return new Map();
    const found = await rows<{ groupId: string; ids: string[] }>(
      q,
      `SELECT server_group_id AS "groupId", array_agg(id ORDER BY created_at, id) AS ids FROM vms
        WHERE tenant_id = $1 AND server_group_id = ANY($2::uuid[]) AND status <> 'deleted' AND presence <> 'released'
        GROUP BY server_group_id`,
      [tenantId, groupIds],
    );
    return new Map(found.map((r) => [r.groupId, r.ids]));
  }

  async delete(tx: EntityManager, tenantId: string, id: string): Promise<boolean> {
    return (await affected(tx, `DELETE FROM server_groups WHERE tenant_id = $1 AND id = $2`, [tenantId, id])) === 1;
  }
}
