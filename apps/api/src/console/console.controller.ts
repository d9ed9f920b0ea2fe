import { Controller, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { ApiDoc } from '../common/api-errors.decorator.js';
import type { Request } from 'express';
import { TenantAccessService, type Principal } from '@xenplane/tenancy';
import { AnyRole, CurrentPrincipal } from '../auth/roles.decorator.js';
import { TenantQueryDto } from '../common/query.dto.js';
import { ReturnsSecret } from '../common/secret-fields.decorator.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { API_CONFIG, type ApiConfig } from '../config/api-env.js';
import { ConsoleView } from './console.dto.js';
import { ConsoleService } from './console.service.js';

@ApiTags('vms')
@ApiBearerAuth()
@AnyRole()
@Controller('v1/vms')
export class ConsoleController {
  constructor(
    private readonly consoles: ConsoleService,
    private readonly access: TenantAccessService,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Post(':id/console')
  @HttpCode(201)
  @ReturnsSecret('url')
  @ApiDoc({
    errors: ['invalid_state', 'console_limit_reached'],
    summary: "open the VM's graphical console (VNC over WebSocket)",
    description:
      'Answers a WebSocket URL with a single-use token (256 random bits, stored only as its hash) bound to the tenant, the VM and ' +
      "the calling key. Connect within 30 s, offering the `binary` subprotocol (noVNC does): the API opens the VM's XAPI console " +
      'at that moment (so after a reboot or a migration a new console reaches the VM where it now runs) and relays raw RFB; ' +
      'the XAPI session stays on the server. At the WebSocket: a used, expired, unknown or revoked-key token is 401 ' +
      '`unauthenticated`; a VM no longer running is 409 `invalid_state`; a pool that does not answer is 503 `unavailable`. ' +
      'Here: a VM that is not running is 409 `invalid_state`; a VM with `CONSOLE_MAX_SESSIONS_PER_VM` open sessions is 409 ' +
      '`console_limit_reached` (checked again at connect). Each session is audited (`GET /v1/audit`, method `CONSOLE`, with its `durationMs`).',
  })
  @ApiCreatedResponse({ type: ConsoleView, headers: { 'Cache-Control': { description: 'no-store', schema: { type: 'string' } } } })
  async open(
    @CurrentPrincipal() p: Principal,
    @Query() q: TenantQueryDto,
    @Param('id', UuidParamPipe) id: string,
    @Req() req: Request,
  ): Promise<ConsoleView> {
    const tenantId = await this.access.resolve(p, q.tenantId);
    const { url, expiresAt } = await this.consoles.issue(p, tenantId, id, this.config.CONSOLE_PUBLIC_URL ?? publicOrigin(req));
    return { url, expiresAt: expiresAt.toISOString() };
  }
}

/** The origin the request came to, as a WebSocket origin (behind a proxy: what TRUST_PROXY lets Express believe). */
function publicOrigin(req: Request): string {
  return `${req.protocol === 'https' ? 'wss' : 'ws'}://${req.host}`;
}
