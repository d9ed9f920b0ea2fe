import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { OperationEntity } from '../database/entities/operation.entity.js';
import { OperationRepository } from '../database/repositories/operation.repository.js';
import { OperationInProgressError } from '../errors/domain-error.js';
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
  constructor(private readonly operations: OperationRepository) {}

  /**
   * `operationId` may be chosen by the caller when something else in `tx` must name it first (the quota ledger);
   * `placement` is the scheduler's decision, recorded with the operation.
   */
  async launch(
    tx: EntityManager,
    tenantId: string,
    job: JobName,
    resource: { type: string; id: string },
    meta: RequestMeta,
    operationId: string = randomUUID(),
    placement?: Record<string, unknown>,
  ): Promise<OperationEntity> {
    const op = await this.operations.launch(
      tx,
      { id: operationId, tenantId, kind: job, resourceType: resource.type, resourceId: resource.id, requestId: meta.requestId },
      { placement, idempotency: meta.idempotency, outbox: { queue: JOB_QUEUE[job], jobName: job } },
    );
    // One operation at a time per resource: the insert did nothing, so the transaction can still name the one in the way.
    if (!op) throw new OperationInProgressError(resource, await this.operations.findActiveFor(tx, tenantId, resource.id));
    return op;
  }
}
