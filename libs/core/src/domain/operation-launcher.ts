import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { OperationEntity } from '../database/entities/operation.entity.js';
import { OperationRepository } from '../database/repositories/operation.repository.js';
import { IdempotencyRepository } from '../database/repositories/idempotency.repository.js';
import { OutboxRepository } from '../database/repositories/outbox.repository.js';
import { OperationInProgressError, isUniqueViolation } from '../errors/domain-error.js';
import { JOB_QUEUE, type JobName } from '../queue/jobs.js';

/** The request an operation comes from; the caller passes it, so the launcher never reads ambient context. */
export interface RequestMeta {
  /** Recorded on the operation, so the worker's logs carry the request's id. */
  requestId: string | null;
  /** The Idempotency-Key the request claimed: bound to the operation in the same transaction. */
  idempotency?: { scope: string; key: string };
}

/** Records an operation and its outbox row in the caller's transaction, so accepted work cannot be lost. */
@Injectable()
export class OperationLauncher {
  constructor(
    private readonly operations: OperationRepository,
    private readonly outbox: OutboxRepository,
    private readonly idempotency: IdempotencyRepository,
  ) {}

  /** `operationId` may be chosen by the caller when something else in `tx` must name it first (the quota ledger). */
  async launch(
    tx: EntityManager,
    tenantId: string,
    job: JobName,
    resource: { type: string; id: string },
    meta: RequestMeta,
    operationId: string = randomUUID(),
  ): Promise<OperationEntity> {
    let op: OperationEntity;
    // A savepoint, so that the refused insert still lets the transaction name the operation in the way.
    await tx.query('SAVEPOINT launch_operation');
    try {
      op = await this.operations.insert(tx, {
        id: operationId,
        tenantId,
        kind: job,
        resourceType: resource.type,
        resourceId: resource.id,
        requestId: meta.requestId,
      });
    } catch (err) {
      // uq_operations_active_resource: one operation at a time per resource.
      if (isUniqueViolation(err)) {
        await tx.query('ROLLBACK TO SAVEPOINT launch_operation');
        throw new OperationInProgressError(resource, await this.operations.findActiveFor(tx, tenantId, resource.id));
      }
      throw err;
    }
    await tx.query('RELEASE SAVEPOINT launch_operation');
    if (meta.idempotency) await this.idempotency.attachOperation(tx, meta.idempotency.scope, meta.idempotency.key, op.id);
    await this.outbox.add(tx, { operationId: op.id, tenantId, queue: JOB_QUEUE[job], jobName: job });
    return op;
  }
}
