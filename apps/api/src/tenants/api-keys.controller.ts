import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeysService, type Principal } from '@xenplane/tenancy';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { FilteredQuery, listFilter } from '../common/list-query.dto.js';
import { PageQueryDto } from '../common/query.dto.js';
import { ReturnsSecret } from '../common/secret-fields.decorator.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { ApiKeyView, CreateApiKeyDto, CreatedApiKeyView, RotateKeyDto } from './tenant.dto.js';

/** Operators manage any tenant's keys; tenant admins their own (the service checks which tenant); members none. */
class ApiKeyListQuery extends FilteredQuery(PageQueryDto, ['active', 'revoked'], { named: true }) {}

@ApiTags('api-keys')
@ApiBearerAuth()
@Roles('operator', 'admin')
@Controller('v1/tenants/:tenantId/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @ReturnsSecret('token')
  @ApiOperation({
    summary: 'create an API key (its token is shown in this answer only)',
    description:
      'The token is in this answer only and is never stored. A retry with the same Idempotency-Key (from the same key) replays ' +
      'the answer with `Idempotent-Replayed: true` and `token: null`: revoke that key and create another if the first answer was lost. ' +
      "Counts against the tenant's `apiKeys` quota until revoked. With `expiresAt` it answers 401 after that instant.",
  })
  @ApiCreatedResponse({ type: CreatedApiKeyView, headers: { 'Cache-Control': { description: 'no-store', schema: { type: 'string' } } } })
  async create(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId', UuidParamPipe) tenantId: string,
    @Body() dto: CreateApiKeyDto,
  ): Promise<CreatedApiKeyView> {
    const { key, token } = await this.apiKeys.create(p, tenantId, dto);
    return { ...ApiKeyView.of(key), token };
  }

  @Post(':keyId/rotate')
  @ReturnsSecret('token')
  @ApiOperation({
    summary: 'rotate an API key: a new key with the same name and role (its token is shown in this answer only)',
    description:
      'The old key keeps working until it is revoked (DELETE), so clients can move over without a gap; the new key names it in ' +
      "`rotatedFrom` and counts against the tenant's `apiKeys` quota. A revoked key cannot be rotated (409 invalid_state).",
  })
  @ApiCreatedResponse({ type: CreatedApiKeyView, headers: { 'Cache-Control': { description: 'no-store', schema: { type: 'string' } } } })
  async rotate(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId', UuidParamPipe) tenantId: string,
    @Param('keyId', UuidParamPipe) keyId: string,
    @Body() dto: RotateKeyDto,
  ): Promise<CreatedApiKeyView> {
    const { key, token } = await this.apiKeys.rotate(p, tenantId, keyId, dto.expiresAt);
    return { ...ApiKeyView.of(key), token };
  }

  @Get()
  @ApiOkResponse({ type: PageOf(ApiKeyView) })
  async list(@CurrentPrincipal() p: Principal, @Param('tenantId', UuidParamPipe) tenantId: string, @Query() q: ApiKeyListQuery) {
    return mapPage(await this.apiKeys.list(p, tenantId, q, listFilter(q)), ApiKeyView.of);
  }

  @Get(':keyId')
  @ApiOkResponse({ type: ApiKeyView })
  async get(@CurrentPrincipal() p: Principal, @Param('tenantId', UuidParamPipe) tenantId: string, @Param('keyId', UuidParamPipe) keyId: string) {
    return ApiKeyView.of(await this.apiKeys.get(p, tenantId, keyId));
  }

  @Delete(':keyId')
  @HttpCode(204)
  @ApiNoContentResponse()
  async revoke(
    @CurrentPrincipal() p: Principal,
    @Param('tenantId', UuidParamPipe) tenantId: string,
    @Param('keyId', UuidParamPipe) keyId: string,
  ): Promise<void> {
    await this.apiKeys.revoke(p, tenantId, keyId);
  }
}
