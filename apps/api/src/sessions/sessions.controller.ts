import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '@xenplane/core';
import { AnyRole } from '../auth/roles.decorator.js';
import type { WithWebSession } from '../auth/session.strategy.js';
import { ApiDoc } from '../common/api-errors.decorator.js';
import { ReturnsSecret } from '../common/secret-fields.decorator.js';
import { CreateSessionDto, SessionView } from './session.dto.js';
import { SessionsService } from './sessions.service.js';

const COOKIE = 'Set-Cookie: `xenplane_session`, httpOnly, SameSite=Strict, Secure over https, path `/`';

/** The web console's login: an API key in, a session cookie out; the browser never keeps the key. */
@ApiTags('sessions')
@Controller('v1/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Post()
  @Public()
  @HttpCode(201)
  @ReturnsSecret('csrfToken')
  @ApiCreatedResponse({ type: SessionView, headers: { 'Set-Cookie': { description: COOKIE, schema: { type: 'string' } } } })
  @ApiDoc({
    summary: 'log in: exchange an API key for a web session cookie',
    description:
      'For browsers (the web console at `/ui`). The session stands for the key (same tenant, role and rate limits) for 8 hours, ' +
      'or until it is deleted or the key is revoked or expires, whichever comes first. The cookie holds a random token stored only ' +
      'as its SHA-256. POST, PUT, PATCH and DELETE made with the cookie must send `X-Xenplane-CSRF: <csrfToken>` (else 403 ' +
      '`csrf_failed`); bearer requests are unaffected. A key that cannot authenticate is 401 and spends the address budget of failed logins.',
    errors: ['unauthenticated', 'rate_limited'],
  })
  async create(@Body() dto: CreateSessionDto, @Req() req: WithWebSession, @Res({ passthrough: true }) res: Response): Promise<SessionView> {
    return this.sessions.login(dto.apiKey, req, res);
  }

  @Get('current')
  @ApiBearerAuth()
  @AnyRole()
  @ApiOkResponse({ type: SessionView })
  @ApiDoc({
    summary: 'the current web session',
    description: 'What the console asks after a reload: who is logged in, and the CSRF token. A request without a session cookie is 404.',
    errors: ['not_found'],
  })
  current(@Req() req: WithWebSession): SessionView {
    return this.sessions.current(req);
  }

  @Delete('current')
  @HttpCode(204)
  @ApiBearerAuth()
  @AnyRole()
  @ApiNoContentResponse({ description: 'logged out: the session ended and its cookie is cleared' })
  @ApiDoc({
    summary: 'log out',
    description: 'Ends the session of the cookie (it needs `X-Xenplane-CSRF`, as every change made with it). Without a session cookie: 404.',
    errors: ['not_found', 'csrf_failed'],
  })
  async remove(@Req() req: WithWebSession, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.sessions.logout(req, res);
  }
}
