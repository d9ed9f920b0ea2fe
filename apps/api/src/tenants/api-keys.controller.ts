import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiKeysService, type Principal } from '@xenplane/tenancy';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { PageQueryDto } from '../common/query.dto.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { ApiKeyView, CreateApiKeyDto, CreatedApiKeyView } from './tenant.dto.js';

/** Operators manage any tenant's keys; tenant admins their own (the service enforces which). */
@ApiTags('api-keys')
@ApiBearerAuth()
@Roles('operator', 'admin', 'member')
@Controller('v1/tenants/:tenantId/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @ApiCreatedResponse({ type: CreatedApiKeyView })
  async create(@CurrentPrincipal() p: Principal, @Param('tenantId', UuidParamPipe) tenantId: string, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyView> {
    const { key, token } = await this.apiKeys.create(p, tenantId, dto.name, dto.role);
    return { ...ApiKeyView.of(key), token };
  }

  @Get()
  @ApiOkResponse({ type: PageOf(ApiKeyView) })
  async list(@CurrentPrincipal() p: Principal, @Param('tenantId', UuidParamPipe) tenantId: string, @Query() q: PageQueryDto) {
    return mapPage(await this.apiKeys.list(p, tenantId, q), ApiKeyView.of);
  }

  @Get(':keyId')
  @ApiOkResponse({ type: ApiKeyView })
  async get(@CurrentPrincipal() p: Principal, @Param('tenantId', UuidParamPipe) tenantId: string, @Param('keyId', UuidParamPipe) keyId: string) {
    return ApiKeyView.of(await this.apiKeys.get(p, tenantId, keyId));
  }

  @Delete(':keyId')
  @HttpCode(204)
  @ApiNoContentResponse()
  async revoke(@CurrentPrincipal() p: Principal, @Param('tenantId', UuidParamPipe) tenantId: string, @Param('keyId', UuidParamPipe) keyId: string): Promise<void> {
    await this.apiKeys.revoke(p, tenantId, keyId);
  }
}
