import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { OPERATION_STATUSES } from '@xenplane/core';
import { TenantAccessService, type Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { listFilter, TenantFilteredQuery } from '../common/list-query.dto.js';
import { TenantQueryDto } from '../common/query.dto.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { OperationView } from '../vms/vm.dto.js';
import { OperationsService } from './operations.service.js';
import { ApiDoc } from '../common/api-errors.decorator.js';

class OperationListQuery extends TenantFilteredQuery(OPERATION_STATUSES) {}

@ApiTags('operations')
@ApiBearerAuth()
@AnyRole()
@Controller('v1/operations')
export class OperationsController {
  constructor(
    private readonly operations: OperationsService,
    private readonly access: TenantAccessService,
  ) {}

  @Get()
  @ApiOkResponse({ type: PageOf(OperationView) })
  @ApiDoc({
    summary: 'List operations',
    description:
      "A tenant's own operations: what was asked, its status and, when it failed, the code and detail; an operator without ?tenantId= gets every tenant's (each item names its tenantId). Newest first unless ?order=asc.",
  })
  async list(@CurrentPrincipal() p: Principal, @Query() q: OperationListQuery) {
    return mapPage(await this.operations.list(await this.access.resolveList(p, q.tenantId), q, listFilter(q)), OperationView.of);
  }

  @Get(':id')
  @ApiOkResponse({ type: OperationView })
  @ApiDoc({
    summary: 'Get an operation',
    description: 'One operation: queued, running, succeeded or failed (with error.code and error.detail). Poll it after a 202.',
  })
  async get(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Param('id', UuidParamPipe) id: string) {
    return OperationView.of(await this.operations.get(await this.access.resolve(p, q.tenantId), id));
  }
}
