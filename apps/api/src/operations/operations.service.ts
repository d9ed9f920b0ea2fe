import { Injectable } from '@nestjs/common';
import { NotFoundError, OperationRepository, type OperationEntity, type Page, type PageRequest } from '@xenplane/core';

@Injectable()
export class OperationsService {
  constructor(private readonly operations: OperationRepository) {}

  async get(tenantId: string, id: string): Promise<OperationEntity> {
    const op = await this.operations.find(tenantId, id);
    if (!op) throw new NotFoundError('operation', id);
    return op;
  }

  list(tenantId: string, page: PageRequest): Promise<Page<OperationEntity>> {
    return this.operations.list(tenantId, page);
  }
}
