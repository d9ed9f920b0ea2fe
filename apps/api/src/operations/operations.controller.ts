import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OPERATION_STATUSES } from '@xenplane/core';
import { TenantAccessService, type Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { listFilter, TenantFilteredQuery } from '../common/list-query.dto.js';
import { TenantQueryDto } from '../common/query.dto.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { OperationView } from '../vms/vm.dto.js';
import { OperationsService } from './operations.service.js';

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
  @ApiOperation({
    summary: 'List operations',
    description:
      "A tenant's own operations; an operator without ?tenantId= gets every tenant's (each item names its tenantId). Newest first unless ?order=asc.",
  })
  @ApiOkResponse({ type: PageOf(OperationView) })
  async list(@CurrentPrincipal() p: Principal, @Query() q: OperationListQuery) {
    return mapPage(await this.operations.list(await this.access.resolveList(p, q.tenantId), q, listFilter(q)), OperationView.of);
  }

  @Get(':id')
  @ApiOkResponse({ type: OperationView })
  async get(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Param('id', UuidParamPipe) id: string) {
    return OperationView.of(await this.operations.get(await this.access.resolve(p, q.tenantId), id));
  }
}
