import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { affected, one, rows } from '../sql.js';

export interface OutboxMessage {
  id: string;
  operationId: string;
  tenantId: string;
  queue: string;
  jobName: string;
}

/** The outbox; cross-tenant by design (the relay moves every tenant's jobs). Rows are written by OperationRepository.launch, with the operation. */
@Injectable()
export class OutboxRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Hands a batch of undispatched messages to `dispatch` inside `tx`; rows are marked dispatched only if it
   * succeeds (and `tx` commits), and SKIP LOCKED lets several relays work side by side.
   */
  async drain(tx: EntityManager, limit: number, dispatch: (msgs: OutboxMessage[]) => Promise<void>): Promise<number> {
    const msgs = await rows<OutboxMessage>(
      tx,
      `SELECT id, operation_id AS "operationId", tenant_id AS "tenantId", queue, job_name AS "jobName" FROM outbox
       WHERE dispatched_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    if (msgs.length === 0) return 0;
    await dispatch(msgs);
    await affected(tx, `UPDATE outbox SET dispatched_at = now() WHERE id = ANY($1::bigint[])`, [msgs.map((m) => m.id)]);
    return msgs.length;
  }

  async pendingCount(): Promise<number> {
    const row = await one<{ n: number }>(this.ds.manager, `SELECT count(*)::int AS n FROM outbox WHERE dispatched_at IS NULL`);
    return row!.n;
  }
}
