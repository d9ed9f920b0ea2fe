import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { SecurityGroupEntity, type SecurityGroupRuleRow } from '../entities/security-group.entity.js';
import type { ListFilter, Page, PageRequest } from '../pagination.js';
import { affected, one, rows } from '../sql.js';
import { filterBy, pageBy } from './keyset.js';

export type NewSecurityGroupRule = Omit<SecurityGroupRuleRow, 'createdAt' | 'charged'> & { tenantId: string };

const GROUP = `id, tenant_id AS "tenantId", name, description, is_default AS "isDefault", created_at AS "createdAt"`;
const RULE = `id, group_id AS "groupId", direction, protocol, port_min AS "portMin", port_max AS "portMax",
  host(remote_cidr) || '/' || masklen(remote_cidr) AS "remoteCidr", remote_group_id AS "remoteGroupId", charged, created_at AS "createdAt"`;

/** Security groups, rules and NIC memberships; writes take the transaction first, then every method the tenant id. */
@Injectable()
export class SecurityGroupRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Inserts the group; null when the tenant already has one of that name. */
  async insert(tx: EntityManager, g: { id: string; tenantId: string; name: string; description: string }): Promise<SecurityGroupEntity | null> {
    const row = await one<SecurityGroupEntity>(
      tx,
      `INSERT INTO security_groups (id, tenant_id, name, description) VALUES ($1, $2, $3, $4)
       ON CONFLICT ON CONSTRAINT uq_security_groups_name DO NOTHING RETURNING ${GROUP}`,
      [g.id, g.tenantId, g.name, g.description],
    );
    return row ?? null;
  }

  find(tenantId: string, id: string, q: EntityManager = this.ds.manager): Promise<SecurityGroupEntity | null> {
    return q.findOne(SecurityGroupEntity, { where: { tenantId, id } });
  }

  /** Locks the group row (rule and membership changes on it serialise behind this). */
  async lock(tx: EntityManager, tenantId: string, id: string): Promise<SecurityGroupEntity | null> {
    return (
      (await one<SecurityGroupEntity>(tx, `SELECT ${GROUP} FROM security_groups WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tenantId, id])) ?? null
    );
  }

  /** The tenant's groups among `ids` (missing or another tenant's are simply absent); locked against deletion. */
  findMany(tx: EntityManager, tenantId: string, ids: string[]): Promise<SecurityGroupEntity[]> {
    if (!ids.length) return Promise.resolve([]);
    return rows<SecurityGroupEntity>(tx, `SELECT ${GROUP} FROM security_groups WHERE tenant_id = $1 AND id = ANY($2::uuid[]) FOR SHARE`, [
      tenantId,
      ids,
    ]);
  }

  list(tenantId: string, page: PageRequest, filter: ListFilter = {}): Promise<Page<SecurityGroupEntity>> {
    const qb = this.ds.manager.createQueryBuilder(SecurityGroupEntity, 'g').where('g.tenant_id = :tenantId', { tenantId });
    return pageBy(filterBy(qb, 'g', filter, { statusColumn: null }), 'g', page);
  }

  /** Renames and/or redescribes; 'taken' when the new name is another group's. */
  async update(
    tx: EntityManager,
    tenantId: string,
    id: string,
    change: { name?: string; description?: string },
  ): Promise<SecurityGroupEntity | 'taken'> {
    const clash =
      change.name === undefined
        ? undefined
        : await one(tx, `SELECT 1 FROM security_groups WHERE tenant_id = $1 AND name = $2 AND id <> $3`, [tenantId, change.name, id]);
    if (clash) return 'taken';
    return (await one<SecurityGroupEntity>(
      tx,
      `UPDATE security_groups SET name = COALESCE($3, name), description = COALESCE($4, description) WHERE tenant_id = $1 AND id = $2 RETURNING ${GROUP}`,
      [tenantId, id, change.name ?? null, change.description ?? null],
    ))!;
  }

  /** What still refers to the group: NICs (by VM) and other groups' rules naming it as their remote group. */
  async usage(tx: EntityManager, tenantId: string, id: string): Promise<{ vmIds: string[]; groupIds: string[] }> {
    const vms = await rows<{ id: string }>(
      tx,
      `SELECT DISTINCT vm_id AS id FROM vm_nic_security_groups WHERE tenant_id = $1 AND group_id = $2 ORDER BY 1`,
      [tenantId, id],
    );
    const groups = await rows<{ id: string }>(
      tx,
      `SELECT DISTINCT group_id AS id FROM security_group_rules WHERE tenant_id = $1 AND remote_group_id = $2 AND group_id <> $2 ORDER BY 1`,
      [tenantId, id],
    );
    return { vmIds: vms.map((r) => r.id), groupIds: groups.map((r) => r.id) };
  }

  /** Deletes the group and its rules; how many of those rules held quota, or null when there was no such group. */
  async delete(tx: EntityManager, tenantId: string, id: string): Promise<{ chargedRules: number } | null> {
    const charged = await one<{ n: number }>(
      tx,
      `SELECT count(*)::int AS n FROM security_group_rules WHERE tenant_id = $1 AND group_id = $2 AND charged`,
      [tenantId, id],
    );
    const gone = await affected(tx, `DELETE FROM security_groups WHERE tenant_id = $1 AND id = $2 AND NOT is_default`, [tenantId, id]);
    return gone === 1 ? { chargedRules: charged!.n } : null;
  }

  async insertRule(tx: EntityManager, r: NewSecurityGroupRule): Promise<SecurityGroupRuleRow> {
    return (await one<SecurityGroupRuleRow>(
      tx,
      `INSERT INTO security_group_rules (id, tenant_id, group_id, direction, protocol, port_min, port_max, remote_cidr, remote_group_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${RULE}`,
      [r.id, r.tenantId, r.groupId, r.direction, r.protocol, r.portMin, r.portMax, r.remoteCidr, r.remoteGroupId],
    ))!;
  }

  /** Rules of the tenant's groups among `groupIds`, oldest first. */
  rules(tenantId: string, groupIds: string[], q: EntityManager = this.ds.manager): Promise<SecurityGroupRuleRow[]> {
    if (!groupIds.length) return Promise.resolve([]);
    return rows<SecurityGroupRuleRow>(
      q,
      `SELECT ${RULE} FROM security_group_rules WHERE tenant_id = $1 AND group_id = ANY($2::uuid[]) ORDER BY created_at, id`,
      [tenantId, groupIds],
    );
  }

  async findRule(tenantId: string, groupId: string, ruleId: string): Promise<SecurityGroupRuleRow | null> {
    return (
      (await one<SecurityGroupRuleRow>(
        this.ds.manager,
        `SELECT ${RULE} FROM security_group_rules WHERE tenant_id = $1 AND group_id = $2 AND id = $3`,
        [tenantId, groupId, ruleId],
      )) ?? null
    );
  }

  /** Deletes one rule; whether it held quota, or null when there was no such rule. */
  async deleteRule(tx: EntityManager, tenantId: string, groupId: string, ruleId: string): Promise<{ charged: boolean } | null> {
    const row = await one<{ charged: boolean }>(
      tx,
      `DELETE FROM security_group_rules WHERE tenant_id = $1 AND group_id = $2 AND id = $3 RETURNING charged`,
      [tenantId, groupId, ruleId],
    );
    return row ?? null;
  }

  /** Makes the NIC's groups exactly `groupIds` (ids already checked to be the tenant's). */
  async setNicGroups(tx: EntityManager, tenantId: string, vmId: string, device: number, groupIds: string[]): Promise<void> {
    await affected(
      tx,
      `DELETE FROM vm_nic_security_groups WHERE tenant_id = $1 AND vm_id = $2 AND device = $3 AND NOT (group_id = ANY($4::uuid[]))`,
      [tenantId, vmId, device, groupIds],
    );
    await affected(
      tx,
      `INSERT INTO vm_nic_security_groups (vm_id, device, tenant_id, group_id) SELECT $2, $3, $1, g FROM unnest($4::uuid[]) AS g ON CONFLICT DO NOTHING`,
      [tenantId, vmId, device, groupIds],
    );
  }

  /** The groups of the NICs of `vms` (each VM with its own tenant), by `vmId/device`, ids sorted. */
  async nicGroupsForTenantVms(vms: { tenantId: string; id: string }[], q: EntityManager = this.ds.manager): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (!vms.length) return out;
    const found = await rows<{ vmId: string; device: number; groupId: string }>(
      q,
      `SELECT s.vm_id AS "vmId", s.device, s.group_id AS "groupId"
       FROM vm_nic_security_groups s JOIN unnest($1::uuid[], $2::uuid[]) AS v(tenant_id, id) ON s.tenant_id = v.tenant_id AND s.vm_id = v.id
       ORDER BY s.group_id`,
      [vms.map((v) => v.tenantId), vms.map((v) => v.id)],
    );
    for (const r of found) out.set(`${r.vmId}/${r.device}`, [...(out.get(`${r.vmId}/${r.device}`) ?? []), r.groupId]);
    return out;
  }
}
