import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { affected, one, rows } from '@xenplane/core';
import { QUOTA_RESOURCES, type Quota, type QuotaAmounts, type QuotaLimits, type QuotaResource } from './quota-math.js';

export type LedgerKind = 'charge' | 'release' | 'recount';

export interface LedgerEntry {
  resourceId: string;
  operationId: string;
  kind: LedgerKind;
  /** Signed: what this entry added to usage. */
  delta: QuotaAmounts;
}

export const QUOTA_COLUMN: Record<QuotaResource, string> = {
  vms: 'vms',
  vcpus: 'vcpus',
  memoryMiB: 'memory_mib',
  diskGiB: 'disk_gib',
  networks: 'networks',
  apiKeys: 'api_keys',
  keypairs: 'keypairs',
  volumes: 'volumes',
  volumeGiB: 'volume_gib',
  snapshots: 'snapshots',
  snapshotGiB: 'snapshot_gib',
  publicIps: 'public_ips',
  securityGroups: 'security_groups',
  securityGroupRules: 'security_group_rules',
  imageGiB: 'image_gib',
};
const SQL_TYPE: Record<QuotaResource, string> = {
  vms: 'int',
  vcpus: 'int',
  memoryMiB: 'bigint',
  diskGiB: 'bigint',
  networks: 'int',
  apiKeys: 'int',
  keypairs: 'int',
  volumes: 'int',
  volumeGiB: 'bigint',
  snapshots: 'int',
  snapshotGiB: 'bigint',
  publicIps: 'int',
  securityGroups: 'int',
  securityGroupRules: 'int',
  imageGiB: 'bigint',
};
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
const HELD_BY_VOLUMES = `
  SELECT count(*)::int AS volumes, coalesce(sum(v.size_gib), 0)::bigint AS volume_gib
  FROM volumes v JOIN resource_presences p ON p.presence = v.presence
  WHERE v.tenant_id = $1 AND p.holds_quota`;
const HELD_BY_SNAPSHOTS = `
  SELECT count(*)::int AS snapshots, coalesce(sum(s.size_gib), 0)::bigint AS snapshot_gib
  FROM snapshots s JOIN resource_presences p ON p.presence = s.presence
  WHERE s.tenant_id = $1 AND p.holds_quota`;
const HELD_BY_IMAGES = `
  SELECT coalesce(sum(i.size_gib), 0)::bigint AS image_gib
  FROM images i JOIN resource_presences p ON p.presence = i.presence
  WHERE i.tenant_id = $1 AND p.holds_quota`;

// A public address is held exactly while its NIC row exists (released with the VM, or the NIC, in one transaction).
const HELD_BY_PUBLIC_IPS = `SELECT count(*)::int AS public_ips FROM vm_nics WHERE tenant_id = $1 AND provider_network_id IS NOT NULL`;
// A key holds its quota until it is revoked.
const HELD_BY_API_KEYS = `SELECT count(*)::int AS api_keys FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL`;
// A keypair holds its quota until it is deleted (rows are deleted with it).
const HELD_BY_KEYPAIRS = `SELECT count(*)::int AS keypairs FROM keypairs WHERE tenant_id = $1`;
// A security group holds quota until deleted; the default group and its seeded rules are the platform's (held by nobody).
const HELD_BY_SECURITY_GROUPS = `
  SELECT (SELECT count(*)::int FROM security_groups WHERE tenant_id = $1 AND NOT is_default) AS groups,
         (SELECT count(*)::int FROM security_group_rules WHERE tenant_id = $1 AND charged) AS rules`;
const AFTER = QUOTA_RESOURCES.length + 2;

const values = (a: QuotaAmounts) => QUOTA_RESOURCES.map((r) => a[r]);
const num = (v: unknown) => Number(v);

// One `<column>_limit` and `<column>_used` per dimension; bigint columns answer as strings.
type QuotaRow = Record<string, string | number | null>;

function toQuota(row: QuotaRow): Quota {
  const limits = {} as QuotaLimits;
  const used = {} as QuotaAmounts;
  for (const r of QUOTA_RESOURCES) {
    const limit = row[`${QUOTA_COLUMN[r]}_limit`];
    limits[r] = limit === null ? null : num(limit);
    used[r] = num(row[`${QUOTA_COLUMN[r]}_used`]);
  }
  return { limits, used };
}

const INSERT_LEDGER = `INSERT INTO quota_ledger (tenant_id, ${each((c) => c, ', ')}, resource_id, operation_id, kind)
       VALUES ($1, ${each((_, p) => p, ', ')}, $${AFTER}, $${AFTER + 1}, $${AFTER + 2}) ON CONFLICT DO NOTHING`;

/** tenant_quotas and quota_ledger; writes take the transaction first, then every method the tenant id. */
@Injectable()
export class QuotaRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(tx: EntityManager, tenantId: string, limits: QuotaLimits): Promise<boolean> {
    const inserted = await affected(
      tx,
      `INSERT INTO tenant_quotas (tenant_id, ${each((c) => `${c}_limit`, ', ')}) VALUES ($1, ${each((_, p) => p, ', ')})
       ON CONFLICT (tenant_id) DO NOTHING`,
      [tenantId, ...QUOTA_RESOURCES.map((r) => limits[r])],
    );
    return inserted === 1;
  }

  async find(tenantId: string, q: EntityManager = this.ds.manager): Promise<Quota | null> {
    const row = await one<QuotaRow>(q, SELECT_QUOTA, [tenantId]);
    return row ? toQuota(row) : null;
  }

  /** Locks the tenant's quota row for the rest of `tx`. */
  async findForUpdate(tx: EntityManager, tenantId: string): Promise<Quota | null> {
    const row = await one<QuotaRow>(tx, `${SELECT_QUOTA} FOR UPDATE`, [tenantId]);
    return row ? toQuota(row) : null;
  }

  /** The quota statement: adds `delta` only if every growing dimension stays within its limit. */
  async chargeIfFits(tx: EntityManager, tenantId: string, delta: QuotaAmounts): Promise<boolean> {
    return (
      (await affected(tx, `UPDATE tenant_quotas SET ${ADD_USED}, updated_at = now() WHERE tenant_id = $1 AND ${FITS}`, [
        tenantId,
        ...values(delta),
      ])) === 1
    );
  }

  /**
   * A charge in one statement: its ledger entry, and the usage only if that entry is new and every growing dimension
   * fits. `recorded` false: charged before; `charged` false with `recorded`: over a limit (the caller rolls back).
   */
  async chargeOnce(tx: EntityManager, tenantId: string, entry: LedgerEntry): Promise<{ recorded: boolean; charged: boolean }> {
    const row = await one<{ recorded: boolean; charged: boolean }>(
      tx,
      `WITH entry AS (${INSERT_LEDGER} RETURNING 1),
            charged AS (UPDATE tenant_quotas SET ${ADD_USED}, updated_at = now() WHERE tenant_id = $1 AND EXISTS (SELECT 1 FROM entry) AND ${FITS} RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM entry) AS recorded, EXISTS (SELECT 1 FROM charged) AS charged`,
      [tenantId, ...values(entry.delta), entry.resourceId, entry.operationId, entry.kind],
    );
    return row!;
  }

  /** Adds `delta` whatever the limits (releases); CHECK (used >= 0) refuses going negative. */
  async add(tx: EntityManager, tenantId: string, delta: QuotaAmounts): Promise<boolean> {
    return (await affected(tx, `UPDATE tenant_quotas SET ${ADD_USED}, updated_at = now() WHERE tenant_id = $1`, [tenantId, ...values(delta)])) === 1;
  }

  async setUsed(tx: EntityManager, tenantId: string, used: QuotaAmounts): Promise<void> {
    await affected(tx, `UPDATE tenant_quotas SET ${each((c, p) => `${c}_used = ${p}`, ', ')}, updated_at = now() WHERE tenant_id = $1`, [
      tenantId,
      ...values(used),
    ]);
  }

  async setLimits(tx: EntityManager, tenantId: string, limits: QuotaLimits): Promise<boolean> {
    const sql = `UPDATE tenant_quotas SET ${each((c, p) => `${c}_limit = ${p}`, ', ')}, updated_at = now() WHERE tenant_id = $1`;
    return (await affected(tx, sql, [tenantId, ...QUOTA_RESOURCES.map((r) => limits[r])])) === 1;
  }

  /** Records a ledger entry unless its key (or the resource's one release) is already there. */
  async record(tx: EntityManager, tenantId: string, entry: LedgerEntry): Promise<boolean> {
    const inserted = await affected(tx, INSERT_LEDGER, [tenantId, ...values(entry.delta), entry.resourceId, entry.operationId, entry.kind]);
    return inserted === 1;
  }

  /** Usage recomputed from the authoritative rows. */
  async heldByResources(tx: EntityManager, tenantId: string): Promise<QuotaAmounts> {
    const vms = (await one<{ vms: number; vcpus: number; memory_mib: string; disk_gib: string }>(tx, HELD_BY_VMS, [tenantId]))!;
    const nets = (await one<{ networks: number }>(tx, HELD_BY_NETWORKS, [tenantId]))!;
    const keys = (await one<{ api_keys: number }>(tx, HELD_BY_API_KEYS, [tenantId]))!;
    const keypairs = (await one<{ keypairs: number }>(tx, HELD_BY_KEYPAIRS, [tenantId]))!;
    const vols = (await one<{ volumes: number; volume_gib: string }>(tx, HELD_BY_VOLUMES, [tenantId]))!;
    const snaps = (await one<{ snapshots: number; snapshot_gib: string }>(tx, HELD_BY_SNAPSHOTS, [tenantId]))!;
    const ips = (await one<{ public_ips: number }>(tx, HELD_BY_PUBLIC_IPS, [tenantId]))!;
    const sgs = (await one<{ groups: number; rules: number }>(tx, HELD_BY_SECURITY_GROUPS, [tenantId]))!;
    const images = (await one<{ image_gib: string }>(tx, HELD_BY_IMAGES, [tenantId]))!;
    return {
      vms: vms.vms,
      vcpus: vms.vcpus,
      memoryMiB: num(vms.memory_mib),
      diskGiB: num(vms.disk_gib),
      networks: nets.networks,
      apiKeys: keys.api_keys,
      keypairs: keypairs.keypairs,
      volumes: vols.volumes,
      volumeGiB: num(vols.volume_gib),
      snapshots: snaps.snapshots,
      snapshotGiB: num(snaps.snapshot_gib),
      publicIps: ips.public_ips,
      securityGroups: sgs.groups,
      securityGroupRules: sgs.rules,
      imageGiB: num(images.image_gib),
    };
  }

  /** Cross-tenant (the periodic recount's): every active tenant. */
  async activeTenantIds(): Promise<string[]> {
    return (await rows<{ id: string }>(this.ds.manager, `SELECT id FROM tenants WHERE status = 'active' ORDER BY id`)).map((r) => r.id);
  }
}
