import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { TenantAccessService, type Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal, Roles } from '../auth/roles.decorator.js';
import { ApiDoc } from '../common/api-errors.decorator.js';
import { ReturnsSecret } from '../common/secret-fields.decorator.js';
import { mapPage, PageOf } from '../common/page.view.js';
import { TenantPageQueryDto, TenantQueryDto } from '../common/query.dto.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { CreatedWebhookView, CreateWebhookDto, WebhookView } from './webhook.dto.js';
import { WebhooksService } from './webhooks.service.js';

@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly access: TenantAccessService,
  ) {}

  @Post()
  @Roles('operator', 'admin')
  @ApiDoc({
    summary: 'Register a webhook',
    description:
      "POSTs each of the tenant's events after this moment (matching `events`, type prefixes) to `url`, in event order, one at a time: " +
      'body the event as the stream sends it, `X-Xenplane-Event-Id` (the idempotency id: a redelivery repeats it), `X-Xenplane-Event-Type` and ' +
      '`X-Xenplane-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>` (refuse a `t` older than 5 minutes). ' +
      'Any 2xx is delivered; otherwise retried with exponential backoff (at most an hour apart) for a day, then the webhook is `failed`. ' +
      'The URL must be http(s) on a public address (400 at `url`; an operator may allow private ones with WEBHOOK_ALLOW_PRIVATE). ' +
      'The secret is in this answer only (`Cache-Control: no-store`; an `Idempotency-Key` replay answers it as null) and is sealed at rest. ' +
      'A tenant has at most WEBHOOKS_MAX_PER_TENANT (default 20): one more is 409 `webhook_limit_reached` (with `limit`, `open`).',
    errors: ['webhook_limit_reached'],
  })
  @ApiCreatedResponse({ type: CreatedWebhookView })
  @ReturnsSecret('secret')
  async create(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Body() dto: CreateWebhookDto): Promise<CreatedWebhookView> {
    const made = await this.webhooks.create(await this.access.resolve(p, q.tenantId), dto.url, dto.events ?? []);
    return { ...WebhookView.of(made.webhook), secret: made.secret };
  }

  @Get()
  @AnyRole()
  @ApiDoc({ summary: "The tenant's webhooks", description: 'Newest first, paginated, with each one’s delivery state; never the secret.' })
  @ApiOkResponse({ type: PageOf(WebhookView) })
  async list(@CurrentPrincipal() p: Principal, @Query() q: TenantPageQueryDto) {
    return mapPage(await this.webhooks.list(await this.access.resolveList(p, q.tenantId), q), WebhookView.of);
  }

  @Get(':id')
  @AnyRole()
  @ApiDoc({ summary: 'One webhook', description: "Its delivery state (cursor, attempts, last error). Another tenant's webhook is 404." })
  @ApiOkResponse({ type: WebhookView })
  async get(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Param('id', UuidParamPipe) id: string): Promise<WebhookView> {
    return WebhookView.of(await this.webhooks.get(await this.access.resolve(p, q.tenantId), id));
  }

  @Delete(':id')
  @Roles('operator', 'admin')
  @HttpCode(204)
  @ApiDoc({ summary: 'Delete a webhook', description: 'No delivery starts after this answer (one under way may finish).' })
  @ApiNoContentResponse()
  async remove(@CurrentPrincipal() p: Principal, @Query() q: TenantQueryDto, @Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.webhooks.remove(await this.access.resolve(p, q.tenantId), id);
  }
}
