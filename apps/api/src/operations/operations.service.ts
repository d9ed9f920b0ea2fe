import { Injectable } from '@nestjs/common';
import { NotFoundError, OperationRepository, type ListFilter, type OperationEntity, type Page, type PageRequest } from '@xenplane/core';

@Injectable()
export class OperationsService {
  constructor(private readonly operations: OperationRepository) {}

  async get(tenantId: string, id: string): Promise<OperationEntity> {
    const op = await this.operations.find(tenantId, id);
    if (!op) throw new NotFoundError('operation', id);
    return op;
  }

  /** One tenant's operations, or every tenant's (`tenantId` null: operators only, the controller decides). */
  list(tenantId: string | null, page: PageRequest, filter: ListFilter): Promise<Page<OperationEntity>> {
    return tenantId === null ? this.operations.listAllTenants(page, filter) : this.operations.list(tenantId, page, undefined, filter);
  }
}
