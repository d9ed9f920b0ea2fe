import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OperatorOnly } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { FilteredQuery, listFilter } from '../common/list-query.dto.js';
import { PageQueryDto } from '../common/query.dto.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { PoolTemplatesView, TemplateQueryDto } from './pool-template.dto.js';
import { CreatePoolDto, HostQueryDto, HostView, PoolView } from './pool.dto.js';
import { PoolsService } from './pools.service.js';

class PoolListQuery extends FilteredQuery(PageQueryDto, ['pending', 'connected', 'error'], { named: true }) {}

@ApiTags('pools')
@ApiBearerAuth()
@OperatorOnly()
@Controller('v1')
export class PoolsController {
  constructor(private readonly pools: PoolsService) {}

  @Post('pools')
  @ApiCreatedResponse({ type: PoolView, description: 'status stays pending until a worker has connected' })
  async register(@Body() dto: CreatePoolDto): Promise<PoolView> {
    return PoolView.of(await this.pools.register(dto), 0);
  }

  @Get('pools')
  @ApiOkResponse({ type: PageOf(PoolView) })
  async list(@Query() q: PoolListQuery) {
    const { page, hostCounts } = await this.pools.list(q, listFilter(q));
    return mapPage(page, (p) => PoolView.of(p, hostCounts.get(p.id) ?? 0));
  }

  @Get('pools/:id')
  @ApiOkResponse({ type: PoolView })
  async get(@Param('id', UuidParamPipe) id: string): Promise<PoolView> {
    const { pool, hostCount } = await this.pools.get(id);
    return PoolView.of(pool, hostCount);
  }

  @Get('pools/:id/templates')
  @ApiOperation({
    summary: "A pool's templates",
    description: 'What the pool offers to build images from (POST /v1/images names one by uuid or name), as the workers last synced it.',
  })
  @ApiOkResponse({ type: PoolTemplatesView })
  @ApiNotFoundResponse({ description: 'not_found' })
  async templates(@Param('id', UuidParamPipe) id: string, @Query() q: TemplateQueryDto): Promise<PoolTemplatesView> {
    const { pool, templates } = await this.pools.templates(id, q.name);
    return PoolTemplatesView.of(pool, templates);
  }

  @Get('hosts')
  @ApiOkResponse({ type: PageOf(HostView) })
  async hosts(@Query() q: HostQueryDto) {
    return mapPage(await this.pools.listHosts(q, q.poolId, listFilter(q)), HostView.of);
  }
}
