import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { QUOTA_RESOURCES, type Quota, type QuotaAmounts, type QuotaLimits, type QuotaResource } from './quota-math.js';

export type LedgerKind = 'charge' | 'release' | 'recount';

export interface LedgerEntry {
  resourceId: string;
  operationId: string;
  kind: LedgerKind;
  /** Signed: what this entry added to usage. */
  delta: QuotaAmounts;
}

export const QUOTA_COLUMN: Record<QuotaResource, string> = { vms: 'vms', vcpus: 'vcpus', memoryMiB: 'memory_mib', diskGiB: 'disk_gib', networks: 'networks', apiKeys: 'api_keys' };
const SQL_TYPE: Record<QuotaResource, string> = { vms: 'int', vcpus: 'int', memoryMiB: 'bigint', diskGiB: 'bigint', networks: 'int', apiKeys: 'int' };
// $2.. carry one value per dimension in QUOTA_RESOURCES order; further parameters follow them.
const param = (r: QuotaResource) => `$${QUOTA_RESOURCES.indexOf(r) + 2}::${SQL_TYPE[r]}`;
const each = (f: (col: string, p: string) => string, sep: string) => QUOTA_RESOURCES.map((r) => f(QUOTA_COLUMN[r], param(r))).join(sep);

const ADD_USED = each((c, p) => `${c}_used = ${c}_used + ${p}`, ', ');
// Shrinking always passes, so a limit lowered below usage blocks growth only.
const FITS = each((c, p) => `(${p} <= 0 OR ${c}_limit IS NULL OR ${c}_used + ${p} <= ${c}_limit)`, ' AND ');
const SELECT_QUOTA = `SELECT ${each((c) => `${c}_limit, ${c}_used`, ', ')} FROM tenant_quotas WHERE tenant_id = $1`;
// What holds quota is the resource's presence (ResourceLifecycle sets it; resource_presences says what it holds).
const HELD_BY_VMS = `
  SELECT count(*)::int AS vms, coalesce(sum(v.vcpus), 0)::int AS vcpus, coalesce(sum(v.memory_mib), 0)::bigint AS memory_mib,
         coalesce(sum(v.disk_gib), 0)::bigint AS disk_gib
  FROM vms v JOIN resource_presences p ON p.presence = v.presence
  WHERE v.tenant_id = $1 AND p.holds_quota`;
const HELD_BY_NETWORKS = `
  SELECT count(*)::int AS networks FROM networks n JOIN resource_presences p ON p.presence = n.presence
  WHERE n.tenant_id = $1 AND p.holds_quota`;

// A key holds its quota until it is revoked.
const HELD_BY_API_KEYS = `SELECT count(*)::int AS api_keys FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL`;
const AFTER = QUOTA_RESOURCES.length + 2;

const values = (a: QuotaAmounts) => QUOTA_RESOURCES.map((r) => a[r]);
/** Whether an UPDATE … RETURNING matched the row (TypeORM answers UPDATE with [rows, rowCount]). */
async function updatedOne(tx: EntityManager, sql: string, params: unknown[]): Promise<boolean> {
  const [rows] = (await tx.query(sql, params)) as [unknown[], number];
  return rows.length === 1;
}
const num = (v: unknown) => Number(v);

function toQuota(row: Record<string, unknown>): Quota {
  const limits = {} as QuotaLimits;
  const used = {} as QuotaAmounts;
  for (const r of QUOTA_RESOURCES) {
    const limit = row[`${QUOTA_COLUMN[r]}_limit`];
    limits[r] = limit === null ? null : num(limit);
    used[r] = num(row[`${QUOTA_COLUMN[r]}_used`]);
  }
  return { limits, used };
}

/** tenant_quotas and quota_ledger; every method takes the tenant id first. */
@Injectable()
export class QuotaRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(tenantId: string, limits: QuotaLimits, tx: EntityManager = this.ds.manager): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO tenant_quotas (tenant_id, ${each((c) => `${c}_limit`, ', ')}) VALUES ($1, ${each((_, p) => p, ', ')})
       ON CONFLICT (tenant_id) DO NOTHING RETURNING tenant_id`,
      [tenantId, ...QUOTA_RESOURCES.map((r) => limits[r])],
    );
    return rows.length === 1;
  }

  async find(tenantId: string, tx: EntityManager = this.ds.manager): Promise<Quota | null> {
    const [row] = await tx.query(SELECT_QUOTA, [tenantId]);
    return row ? toQuota(row) : null;
  }

  /** Locks the tenant's quota row for the rest of `tx`. */
  async findForUpdate(tenantId: string, tx: EntityManager): Promise<Quota | null> {
    const [row] = await tx.query(`${SELECT_QUOTA} FOR UPDATE`, [tenantId]);
    return row ? toQuota(row) : null;
  }

  /** The quota statement: adds `delta` only if every growing dimension stays within its limit. */
  chargeIfFits(tenantId: string, delta: QuotaAmounts, tx: EntityManager): Promise<boolean> {
    return updatedOne(tx, `UPDATE tenant_quotas SET ${ADD_USED}, updated_at = now() WHERE tenant_id = $1 AND ${FITS} RETURNING tenant_id`, [tenantId, ...values(delta)]);
  }

  /** Adds `delta` whatever the limits (releases); CHECK (used >= 0) refuses going negative. */
  add(tenantId: string, delta: QuotaAmounts, tx: EntityManager): Promise<boolean> {
    return updatedOne(tx, `UPDATE tenant_quotas SET ${ADD_USED}, updated_at = now() WHERE tenant_id = $1 RETURNING tenant_id`, [tenantId, ...values(delta)]);
  }

  async setUsed(tenantId: string, used: QuotaAmounts, tx: EntityManager): Promise<void> {
    await tx.query(`UPDATE tenant_quotas SET ${each((c, p) => `${c}_used = ${p}`, ', ')}, updated_at = now() WHERE tenant_id = $1`, [tenantId, ...values(used)]);
  }

  setLimits(tenantId: string, limits: QuotaLimits, tx: EntityManager = this.ds.manager): Promise<boolean> {
    const sql = `UPDATE tenant_quotas SET ${each((c, p) => `${c}_limit = ${p}`, ', ')}, updated_at = now() WHERE tenant_id = $1 RETURNING tenant_id`;
    return updatedOne(tx, sql, [tenantId, ...QUOTA_RESOURCES.map((r) => limits[r])]);
  }

  /** Records a ledger entry unless its key (or the resource's one release) is already there. */
  async record(tenantId: string, entry: LedgerEntry, tx: EntityManager): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO quota_ledger (tenant_id, ${each((c) => c, ', ')}, resource_id, operation_id, kind)
       VALUES ($1, ${each((_, p) => p, ', ')}, $${AFTER}, $${AFTER + 1}, $${AFTER + 2}) ON CONFLICT DO NOTHING RETURNING id`,
      [tenantId, ...values(entry.delta), entry.resourceId, entry.operationId, entry.kind],
    );
    return rows.length === 1;
  }

  /** Usage recomputed from the authoritative rows. */
  async heldByResources(tenantId: string, tx: EntityManager): Promise<QuotaAmounts> {
    const [row] = await tx.query(HELD_BY_VMS, [tenantId]);
    const [nets] = await tx.query(HELD_BY_NETWORKS, [tenantId]);
    const [keys] = await tx.query(HELD_BY_API_KEYS, [tenantId]);
    return {
      vms: num(row.vms), vcpus: num(row.vcpus), memoryMiB: num(row.memory_mib), diskGiB: num(row.disk_gib), networks: num(nets.networks), apiKeys: num(keys.api_keys),
    };
  }

  /** Active tenants, for the periodic recount. */
  async activeTenantIds(): Promise<string[]> {
    const rows: { id: string }[] = await this.ds.query(`SELECT id FROM tenants WHERE status = 'active' ORDER BY id`);
    return rows.map((r) => r.id);
  }
}
