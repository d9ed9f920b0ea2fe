import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { OperationEntity } from '../entities/operation.entity.js';
import type { ListFilter, Page, PageRequest } from '../pagination.js';
import { affected, rows } from '../sql.js';
import { filterBy, pageBy } from './keyset.js';

export type NewOperation = Pick<OperationEntity, 'id' | 'tenantId' | 'kind' | 'resourceType' | 'resourceId' | 'requestId'>;
export type UnfinishedOperation = Pick<OperationEntity, 'id' | 'tenantId' | 'kind'>;

/** What `launch` records with the operation, in the same statement. */
export interface LaunchRecord {
  /** The scheduler's decision, when the request took one. */
  placement?: Record<string, unknown> | null;
  /** The Idempotency-Key the request claimed, bound to the operation. */
  idempotency?: { scope: string; key: string };
  outbox: { queue: string; jobName: string };
}

const ENTITY_COLUMNS = `id, tenant_id AS "tenantId", kind, status, resource_type AS "resourceType", resource_id AS "resourceId", step, checkpoint,
  placement, error_code AS "errorCode", error_detail AS "errorDetail", request_id AS "requestId", attempts, created_at AS "createdAt",
  started_at AS "startedAt", finished_at AS "finishedAt"`;

// The operation, its Idempotency-Key, its outbox row and the relays' wake-up in one round trip. No row: another
// operation of the resource is active (uq_operations_active_resource), and nothing was written.
const LAUNCH = `WITH op AS (
    INSERT INTO operations (id, tenant_id, kind, status, resource_type, resource_id, checkpoint, placement, request_id, attempts)
    VALUES ($1, $2, $3, 'queued', $4, $5, '{}', $6::jsonb, $7, 0) ON CONFLICT DO NOTHING RETURNING *
  ), claimed AS (
    UPDATE idempotency_keys k SET operation_id = op.id FROM op WHERE k.scope = $8 AND k.key = $9
  ), queued AS (
    INSERT INTO outbox (operation_id, tenant_id, queue, job_name) SELECT op.id, op.tenant_id, $10, $11 FROM op RETURNING id
  )
  SELECT ${ENTITY_COLUMNS}, (SELECT count(pg_notify('outbox', '')) FROM queued) AS woken FROM op`;

/** Operations; writes take the transaction first, then every method the tenant id. */
@Injectable()
export class OperationRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(tx: EntityManager, op: NewOperation): Promise<OperationEntity> {
    const inserted = await tx
      .createQueryBuilder()
      .insert()
      .into(OperationEntity)
      .values({ ...op, status: 'queued', checkpoint: {}, attempts: 0 })
      .returning('*')
      .execute();
    return tx.create(OperationEntity, inserted.generatedMaps[0] as OperationEntity);
  }

  /** Records a queued operation with what `with` names; null when the resource already has an active operation. */
  async launch(tx: EntityManager, op: NewOperation, with_: LaunchRecord): Promise<OperationEntity | null> {
    const [row] = await rows<OperationEntity & { woken?: unknown }>(tx, LAUNCH, [
      op.id,
      op.tenantId,
      op.kind,
      op.resourceType,
      op.resourceId,
      with_.placement == null ? null : JSON.stringify(with_.placement),
      op.requestId,
      with_.idempotency?.scope ?? null,
      with_.idempotency?.key ?? null,
      with_.outbox.queue,
      with_.outbox.jobName,
    ]);
    if (!row) return null;
    delete row.woken;
    return tx.create(OperationEntity, row);
  }

  find(tenantId: string, id: string): Promise<OperationEntity | null> {
    return this.ds.manager.findOne(OperationEntity, { where: { tenantId, id } });
  }

  /** The resource's queued or running operation (at most one: uq_operations_active_resource), read in `q`. */
  async findActiveFor(q: EntityManager, tenantId: string, resourceId: string): Promise<{ id: string; kind: string } | null> {
    const [active] = await rows<{ id: string; kind: string }>(
      q,
      `SELECT id, kind FROM operations WHERE tenant_id = $1 AND resource_id = $2 AND status IN ('queued', 'running') LIMIT 1`,
      [tenantId, resourceId],
    );
    return active ?? null;
  }

  /** The queued or running operation of each of these resources that has one (at most one each), by resource id. */
  async activeForResources(
    resources: { tenantId: string; id: string }[],
    q: EntityManager = this.ds.manager,
  ): Promise<Map<string, { id: string; kind: string }>> {
    if (!resources.length) return new Map();
    const found = await rows<{ resourceId: string; id: string; kind: string }>(
      q,
      `SELECT o.resource_id AS "resourceId", o.id, o.kind FROM operations o
       JOIN unnest($1::uuid[], $2::uuid[]) AS r(tenant_id, id) ON o.tenant_id = r.tenant_id AND o.resource_id = r.id
       WHERE o.status IN ('queued', 'running')`,
      [resources.map((r) => r.tenantId), resources.map((r) => r.id)],
    );
    return new Map(found.map(({ resourceId, ...op }) => [resourceId, op]));
  }

  list(tenantId: string, page: PageRequest, resourceId?: string, filter: ListFilter = {}): Promise<Page<OperationEntity>> {
    const qb = this.ds.manager.createQueryBuilder(OperationEntity, 'op').where('op.tenant_id = :tenantId', { tenantId });
    if (resourceId) qb.andWhere('op.resource_id = :resourceId', { resourceId });
    return pageBy(filterBy(qb, 'op', filter, { nameColumn: null }), 'op', page);
  }

  /** Cross-tenant (the operators' view): every tenant's operations. */
  listAllTenants(page: PageRequest, filter: ListFilter = {}): Promise<Page<OperationEntity>> {
    return pageBy(filterBy(this.ds.manager.createQueryBuilder(OperationEntity, 'op'), 'op', filter, { nameColumn: null }), 'op', page);
  }

  /**
   * Marks the operation running (first start or a retry) and counts the attempt; answers it as it is now, or null when
   * it is missing or has ended (a duplicate delivery, a retry after the final commit).
   */
  async start(tx: EntityManager, tenantId: string, id: string): Promise<OperationEntity | null> {
    const [row] = await rows<OperationEntity>(
      tx,
      `UPDATE operations SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now())
       WHERE tenant_id = $1 AND id = $2 AND status IN ('queued', 'running') RETURNING ${ENTITY_COLUMNS}`,
      [tenantId, id],
    );
    return row ? tx.create(OperationEntity, row) : null;
  }

  /** Records a completed saga step and what it made, merged into the checkpoint. */
  async checkpoint(tx: EntityManager, tenantId: string, id: string, step: string, data: Record<string, unknown>): Promise<void> {
    await affected(tx, `UPDATE operations SET step = $3, checkpoint = checkpoint || $4::jsonb WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
      step,
      JSON.stringify(data),
    ]);
  }

  /** Which of `resourceIds` had a `kind` operation fail since `since`, with its code (the latest per resource). */
  async failedSince(kind: string, resourceIds: string[], since: Date): Promise<Map<string, string>> {
    if (!resourceIds.length) return new Map();
    const found = await rows<{ resourceId: string; code: string }>(
      this.ds.manager,
      `SELECT DISTINCT ON (resource_id) resource_id AS "resourceId", coalesce(error_code, 'failed') AS code FROM operations
        WHERE kind = $1 AND resource_id = ANY($2::uuid[]) AND status = 'failed' AND created_at >= $3
        ORDER BY resource_id, created_at DESC`,
      [kind, resourceIds, since],
    );
    return new Map(found.map((r) => [r.resourceId, r.code]));
  }

  /** Cross-tenant: the resources among `resourceIds` with an operation queued or running. */
  async activeAmong(resourceIds: string[]): Promise<Set<string>> {
    if (!resourceIds.length) return new Set();
    const found = await rows<{ id: string }>(
      this.ds.manager,
      `SELECT resource_id AS id FROM operations WHERE resource_id = ANY($1::uuid[]) AND status IN ('queued', 'running')`,
      [resourceIds],
    );
    return new Set(found.map((r) => r.id));
  }

  /** The scheduler's decision for this operation; a later one (the worker re-choosing at start) replaces it. */
  async recordPlacement(tx: EntityManager, tenantId: string, id: string, placement: Record<string, unknown>): Promise<void> {
    await affected(tx, `UPDATE operations SET placement = $3::jsonb WHERE tenant_id = $1 AND id = $2`, [tenantId, id, JSON.stringify(placement)]);
  }

  /** `step`: the last step, recorded with the end (one change, one event). */
  async succeed(tx: EntityManager, tenantId: string, id: string, step?: string): Promise<void> {
    await affected(
      tx,
      `UPDATE operations SET status = 'succeeded', finished_at = now(), step = coalesce($3, step) WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id, step ?? null],
    );
  }

  async fail(tx: EntityManager, tenantId: string, id: string, code: string, detail: string): Promise<void> {
    await affected(
      tx,
      `UPDATE operations SET status = 'failed', finished_at = now(), error_code = $3, error_detail = $4
       WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id, code, detail],
    );
  }

  /** Cross-tenant (the sweeper's): operations still queued or running after `olderThanMs`, whose job may be lost. */
  async listUnfinished(olderThanMs: number, limit: number): Promise<UnfinishedOperation[]> {
    return rows<UnfinishedOperation>(
      this.ds.manager,
      `SELECT id, tenant_id AS "tenantId", kind FROM operations
       WHERE status IN ('queued', 'running') AND created_at < now() - ($1 || ' milliseconds')::interval
       ORDER BY created_at LIMIT $2`,
      [String(olderThanMs), limit],
    );
  }
}
