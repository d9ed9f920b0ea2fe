import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { OutboxEntity } from '../entities/outbox.entity.js';

export interface OutboxMessage {
  id: string;
  operationId: string;
  tenantId: string;
  queue: string;
  jobName: string;
}

@Injectable()
export class OutboxRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async add(tx: EntityManager, msg: Omit<OutboxMessage, 'id'>): Promise<void> {
    await tx.insert(OutboxEntity, msg);
    // Wakes relays at once instead of at their next poll; delivered only if the transaction commits.
    await tx.query(`SELECT pg_notify('outbox', '')`);
  }

  /**
   * Hands a batch of undispatched messages to `dispatch` inside one transaction; rows are marked dispatched
   * only if it succeeds, and SKIP LOCKED lets several relays work side by side.
   */
  async drain(limit: number, dispatch: (msgs: OutboxMessage[]) => Promise<void>): Promise<number> {
    return this.ds.transaction(async (tx) => {
      const rows: { id: string; operation_id: string; tenant_id: string; queue: string; job_name: string }[] = await tx.query(
        `SELECT id, operation_id, tenant_id, queue, job_name FROM outbox
         WHERE dispatched_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (rows.length === 0) return 0;
      await dispatch(rows.map((r) => ({ id: r.id, operationId: r.operation_id, tenantId: r.tenant_id, queue: r.queue, jobName: r.job_name })));
      await tx.query(`UPDATE outbox SET dispatched_at = now() WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
      return rows.length;
    });
  }

  async pendingCount(): Promise<number> {
    const [row] = await this.ds.query(`SELECT count(*)::int AS n FROM outbox WHERE dispatched_at IS NULL`);
    return (row as { n: number }).n;
  }
}
