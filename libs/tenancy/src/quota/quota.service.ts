import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditRepository, NotFoundError, quotaDrift } from '@xenplane/core';
import { TenantRepository } from '../tenants/tenant.repository.js';
import {
  QUOTA_RESOURCES,
  UNLIMITED,
  difference,
  fillLimits,
  firstShortfall,
  isZero,
  negate,
  normalizeDelta,
  type Quota,
  type QuotaAmounts,
  type QuotaDelta,
  type QuotaLimits,
} from './quota-math.js';
import { QuotaExceededError } from './quota.errors.js';
import { QuotaRepository } from './quota.repository.js';

const systemRequestId = () => `recount-${Date.now()}`;

/** What a charge or release is for: the ledger key that makes it happen once. */
export interface QuotaRef {
  resourceId: string;
  operationId: string;
}

export interface RecountResult {
  /** What the recount added to the stored usage (authoritative − stored); all zero when nothing drifted. */
  drift: QuotaAmounts;
  quota: Quota;
}

/**
 * Quota rules: charge with one conditional UPDATE in the caller's transaction, release once per resource,
 * recount from authoritative rows under the row lock. Every change is mirrored in the ledger.
 */
@Injectable()
export class QuotaService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly quotas: QuotaRepository,
    private readonly tenants: TenantRepository,
    private readonly audit: AuditRepository,
  ) {}

  /** Creates the quota row of a new tenant, in the transaction that creates the tenant. */
  async createFor(tx: EntityManager, tenantId: string, limits: Partial<QuotaLimits> = {}): Promise<void> {
    await this.quotas.insert(tx, tenantId, fillLimits(limits));
  }

  /**
   * Adds `delta` (per dimension; negative shrinks) to usage if every growing dimension fits, else throws
   * quota_exceeded. Returns false when this (resource, operation) was already charged. It takes the tenant's quota row
   * lock, held until commit: callers charge last, so the herd on one tenant's row waits only for each other's commit.
   */
  async charge(tx: EntityManager, tenantId: string, delta: QuotaDelta, ref: QuotaRef): Promise<boolean> {
    const d = normalizeDelta(delta);
    const { recorded, charged } = await this.quotas.chargeOnce(tx, tenantId, { ...ref, kind: 'charge', delta: d });
    if (!recorded) return false;
    if (charged) return true;
    // Slow path, only on refusal: under the row lock the numbers we report cannot move, and a release
    // committed between the UPDATE and here makes the retry succeed instead of a spurious 409.
    const quota = await this.lockedQuota(tx, tenantId);
    const shortfall = firstShortfall(quota, d);
    if (shortfall) throw new QuotaExceededError(shortfall);
    if (!(await this.quotas.chargeIfFits(tx, tenantId, d))) throw new Error(`quota charge for tenant ${tenantId} refused under its own lock`);
    return true;
  }

  /**
   * Gives back `delta` (the amounts the resource holds) once per resource: the ledger row is inserted
   * first and usage drops only if it was new, so a repeated or racing release is a no-op.
   */
  async release(tx: EntityManager, tenantId: string, delta: QuotaDelta, ref: QuotaRef): Promise<boolean> {
    const back = negate(normalizeDelta(delta));
    if (!(await this.quotas.record(tx, tenantId, { ...ref, kind: 'release', delta: back }))) return false;
    // No row yet: creating it counts what the tenant holds, which already leaves this released resource out.
    if (!(await this.quotas.add(tx, tenantId, back))) await this.lockedQuota(tx, tenantId);
    return true;
  }

  async get(tenantId: string): Promise<Quota> {
    await this.assertTenant(tenantId);
    return (await this.quotas.find(tenantId)) ?? this.ds.transaction((tx) => this.lockedQuota(tx, tenantId));
  }

  /** Sets the limits given (one left undefined keeps its value); a limit below current usage is allowed and only blocks growth. */
  async setLimits(tenantId: string, limits: Partial<QuotaLimits>): Promise<Quota> {
    await this.assertTenant(tenantId);
    return this.ds.transaction(async (tx) => {
      const current = await this.lockedQuota(tx, tenantId);
      const next = Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, limits[r] === undefined ? current.limits[r] : limits[r]])) as QuotaLimits;
      await this.quotas.setLimits(tx, tenantId, next);
      return (await this.quotas.find(tenantId, tx))!;
    });
  }

  /**
   * Recomputes usage from the authoritative rows under the row lock, sets it, and reports what drifted; a correction's
   * audit row carries `requestId` (the asking request's, or a system id for the periodic recount).
   */
  async recount(tenantId: string, requestId = systemRequestId()): Promise<RecountResult> {
    await this.assertTenant(tenantId);
    return this.recountRow(tenantId, requestId);
  }

  /** Recounts every active tenant, one short transaction each; returns how many had drifted. */
  async recountAll(): Promise<{ tenants: number; drifted: number }> {
    const ids = await this.quotas.activeTenantIds();
    let drifted = 0;
    for (const id of ids) if (!isZero((await this.recountRow(id, systemRequestId())).drift)) drifted++;
    return { tenants: ids.length, drifted };
  }

  private async recountRow(tenantId: string, requestId: string): Promise<RecountResult> {
    const result = await this.ds.transaction(async (tx) => {
      const drift = await this.correct(tx, tenantId, await this.lockedQuota(tx, tenantId));
      return { drift, quota: (await this.quotas.find(tenantId, tx))! };
    });
    if (!isZero(result.drift)) await this.auditDrift(tenantId, result.drift, requestId);
    return result;
  }

  /** Every correction is an audit entry of its own (who: the system), besides the drift metric. */
  private async auditDrift(tenantId: string, drift: QuotaAmounts, requestId: string): Promise<void> {
    const changes = Object.entries(drift)
      .filter(([, n]) => n !== 0)
      .map(([k, n]) => `${k}${n > 0 ? '+' : ''}${n}`)
      .join(' ');
    await this.audit.insert(this.ds.manager, [
      {
        id: randomUUID(),
        tenantId,
        apiKeyId: null,
        apiKeyName: null,
        role: null,
        method: 'SYSTEM',
        route: 'quota.recount',
        path: `quota drift corrected: ${changes}`,
        resourceId: tenantId,
        status: 200,
        outcome: 'succeeded',
        errorCode: 'quota_drift',
        requestId,
      },
    ]);
  }

  private async assertTenant(tenantId: string): Promise<void> {
    if (!(await this.tenants.find(tenantId))) throw new NotFoundError('tenant', tenantId);
  }

  /** The tenant's quota row, locked; a tenant that predates its row gets one, counted from its resources. */
  private async lockedQuota(tx: EntityManager, tenantId: string): Promise<Quota> {
    const found = await this.quotas.findForUpdate(tx, tenantId);
    if (found) return found;
    const created = await this.quotas.insert(tx, tenantId, UNLIMITED);
    const quota = (await this.quotas.findForUpdate(tx, tenantId))!;
    if (created) await this.correct(tx, tenantId, quota);
    return (await this.quotas.findForUpdate(tx, tenantId))!;
  }

  /** Sets usage to what the resources hold, recording any correction in the ledger and the drift metric. */
  private async correct(tx: EntityManager, tenantId: string, stored: Quota): Promise<QuotaAmounts> {
    const actual = await this.quotas.heldByResources(tx, tenantId);
    const drift = difference(stored.used, actual);
    if (isZero(drift)) return drift;
    await this.quotas.setUsed(tx, tenantId, actual);
    await this.quotas.record(tx, tenantId, { resourceId: tenantId, operationId: randomUUID(), kind: 'recount', delta: drift });
    for (const r of QUOTA_RESOURCES) if (drift[r] !== 0) quotaDrift.inc({ resource: r }, Math.abs(drift[r]));
    return drift;
  }
}
