import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OperatorKeysService } from '@xenplane/tenancy';
import { OperatorOnly } from '../auth/roles.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { PageQueryDto } from '../common/query.dto.js';
import { ReturnsSecret } from '../common/secret-fields.decorator.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { CreatedOperatorKeyView, CreateOperatorKeyDto, OperatorKeyView, RotateKeyDto } from './tenant.dto.js';

const NO_STORE = { 'Cache-Control': { description: 'no-store', schema: { type: 'string' } } };

/** Operator keys, one per person: named, hashed, expiring, rotated like tenant keys; operators only. */
@ApiTags('operator-keys')
@ApiBearerAuth()
@OperatorOnly()
@Controller('v1/operator-keys')
export class OperatorKeysController {
  constructor(private readonly keys: OperatorKeysService) {}

  @Post()
  @ReturnsSecret('token')
  @ApiOperation({
    summary: 'create an operator key for one person (its token is shown in this answer only)',
    description:
      'Name it after its holder: the audit log names every change by key id and name. With `expiresAt` it answers 401 after that ' +
      'instant. With BOOTSTRAP_OPERATOR_TOKEN_RETIRES=on-first-operator-key (the default) the bootstrap token stops working once ' +
      'the first operator key exists. An Idempotency-Key replay answers `token: null`.',
  })
  @ApiCreatedResponse({ type: CreatedOperatorKeyView, headers: NO_STORE })
  async create(@Body() dto: CreateOperatorKeyDto): Promise<CreatedOperatorKeyView> {
    const { key, token } = await this.keys.create(dto);
    return { ...OperatorKeyView.of(key), token };
  }

  @Get()
  @ApiOperation({ summary: 'list operator keys', description: 'Every operator key, revoked and expired ones included, and the bootstrap identity.' })
  @ApiOkResponse({ type: PageOf(OperatorKeyView) })
  async list(@Query() q: PageQueryDto) {
    return mapPage(await this.keys.list(q), OperatorKeyView.of);
  }

  @Get(':id')
  @ApiOperation({ summary: 'one operator key', description: 'Its name, expiry, last use (refreshed at most once a minute) and revocation.' })
  @ApiOkResponse({ type: OperatorKeyView })
  async get(@Param('id', UuidParamPipe) id: string): Promise<OperatorKeyView> {
    return OperatorKeyView.of(await this.keys.get(id));
  }

  @Post(':id/rotate')
  @ReturnsSecret('token')
  @ApiOperation({
    summary: 'rotate an operator key: a new key with the same name (its token is shown in this answer only)',
    description:
      'The old key keeps working until it is revoked, so its holder can move over without a gap; the new key names it in ' +
      '`rotatedFrom`. A revoked key, or the bootstrap identity, cannot be rotated (409 invalid_state).',
  })
  @ApiCreatedResponse({ type: CreatedOperatorKeyView, headers: NO_STORE })
  async rotate(@Param('id', UuidParamPipe) id: string, @Body() dto: RotateKeyDto): Promise<CreatedOperatorKeyView> {
    const { key, token } = await this.keys.rotate(id, dto.expiresAt);
    return { ...OperatorKeyView.of(key), token };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'revoke an operator key',
    description: 'It answers 401 from now on; revoking it again changes nothing. The bootstrap identity is refused (409 invalid_state).',
  })
  @ApiNoContentResponse()
  async revoke(@Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.keys.revoke(id);
  }
}
