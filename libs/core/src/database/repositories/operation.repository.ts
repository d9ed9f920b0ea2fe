import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { OperationEntity } from '../entities/operation.entity.js';
import type { Page, PageRequest } from '../pagination.js';
import { pageBy } from './keyset.js';

export type NewOperation = Pick<OperationEntity, 'id' | 'tenantId' | 'kind' | 'resourceType' | 'resourceId' | 'requestId'>;

/** Operations; every method is scoped by tenant id first. */
@Injectable()
export class OperationRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(tx: EntityManager, op: NewOperation): Promise<OperationEntity> {
    const rows = await tx.createQueryBuilder().insert().into(OperationEntity)
      .values({ ...op, status: 'queued', checkpoint: {}, attempts: 0 }).returning('*').execute();
    return tx.create(OperationEntity, rows.generatedMaps[0] as OperationEntity);
  }

  find(tenantId: string, id: string): Promise<OperationEntity | null> {
    return this.ds.manager.findOne(OperationEntity, { where: { tenantId, id } });
  }

  list(tenantId: string, page: PageRequest, resourceId?: string): Promise<Page<OperationEntity>> {
    const qb = this.ds.manager.createQueryBuilder(OperationEntity, 'op').where('op.tenant_id = :tenantId', { tenantId });
    if (resourceId) qb.andWhere('op.resource_id = :resourceId', { resourceId });
    return pageBy(qb, 'op', page);
  }

  /** Marks the operation running (first start or a retry) and counts the attempt. */
  async start(tenantId: string, id: string): Promise<void> {
    await this.ds.query(
      `UPDATE operations SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now())
       WHERE tenant_id = $1 AND id = $2 AND status IN ('queued', 'running')`,
      [tenantId, id],
    );
  }

  /** Records a completed saga step and what it made, merged into the checkpoint. */
  async checkpoint(tenantId: string, id: string, step: string, data: Record<string, unknown>, tx: EntityManager = this.ds.manager): Promise<void> {
    await tx.query(
      `UPDATE operations SET step = $3, checkpoint = checkpoint || $4::jsonb WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id, step, JSON.stringify(data)],
    );
  }

  async succeed(tenantId: string, id: string, tx: EntityManager = this.ds.manager): Promise<void> {
    await tx.query(
      `UPDATE operations SET status = 'succeeded', finished_at = now() WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
  }

  async fail(tenantId: string, id: string, code: string, detail: string, tx: EntityManager = this.ds.manager): Promise<void> {
    await tx.query(
      `UPDATE operations SET status = 'failed', finished_at = now(), error_code = $3, error_detail = $4
       WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id, code, detail],
    );
  }

  /** Operations still queued or running after `olderThanMs`: candidates whose job may have been lost. */
  async listUnfinished(olderThanMs: number, limit: number): Promise<Pick<OperationEntity, 'id' | 'tenantId' | 'kind'>[]> {
    const rows: { id: string; tenant_id: string; kind: string }[] = await this.ds.query(
      `SELECT id, tenant_id, kind FROM operations
       WHERE status IN ('queued', 'running') AND created_at < now() - ($1 || ' milliseconds')::interval
       ORDER BY created_at LIMIT $2`,
      [String(olderThanMs), limit],
    );
    return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id, kind: r.kind }));
  }
}
