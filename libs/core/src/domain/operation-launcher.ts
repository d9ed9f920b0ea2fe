import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { OperationEntity } from '../database/entities/operation.entity.js';
import { OperationRepository } from '../database/repositories/operation.repository.js';
import { OutboxRepository } from '../database/repositories/outbox.repository.js';
import { requestContext } from '../context/request-context.js';
import { ConflictError } from '../errors/domain-error.js';
import { JOB_QUEUE, type JobName } from '../queue/jobs.js';

const UNIQUE_VIOLATION = '23505';

/** Records an operation and its outbox row in the caller's transaction, so accepted work cannot be lost. */
@Injectable()
export class OperationLauncher {
  constructor(
    private readonly operations: OperationRepository,
    private readonly outbox: OutboxRepository,
  ) {}

  async launch(tx: EntityManager, tenantId: string, job: JobName, resource: { type: string; id: string }): Promise<OperationEntity> {
    let op: OperationEntity;
    try {
      op = await this.operations.insert(tx, {
        id: randomUUID(),
        tenantId,
        kind: job,
        resourceType: resource.type,
        resourceId: resource.id,
        requestId: requestContext.current()?.requestId ?? null,
      });
    } catch (err) {
      // uq_operations_active_resource: one operation at a time per resource.
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new ConflictError(`another operation on ${resource.type} ${resource.id} is in progress`);
      }
      throw err;
    }
    await this.outbox.add(tx, { operationId: op.id, tenantId, queue: JOB_QUEUE[job], jobName: job });
    return op;
  }
}
