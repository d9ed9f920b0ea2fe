import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { DomainError, PUBLIC_KEY, type ApiKeyRole, requestContext } from '@xenplane/core';
import { constantTimeEquals, type Principal } from '@xenplane/tenancy';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import { AuthFailuresService } from './auth-failures.service.js';
import { ROLES_KEY } from './roles.decorator.js';
import { CSRF_HEADER } from './session-cookie.js';
import type { WithWebSession } from './session.strategy.js';

const HEADER_ONLY = 'API keys are accepted in the Authorization header only (Authorization: Bearer <token>), never as access_token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Global guard: bearer authentication (or a web session's cookie), the key's and tenant's rate limits, then the route's role list. */
@Injectable()
export class ApiAuthGuard extends AuthGuard(['bearer', 'session-cookie']) {
  constructor(
    private readonly reflector: Reflector,
    private readonly rateLimits: RateLimitService,
    private readonly failures: AuthFailuresService,
  ) {
    super({ session: false });
  }

  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = ctx.switchToHttp().getRequest<WithWebSession & { user?: Principal }>();
    try {
      await super.canActivate(ctx);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'unauthenticated') await this.refuse(req);
      throw err;
    }
    const principal = req.user!;
    requestContext.assign({ apiKeyId: principal.keyId, tenantId: principal.tenantId ?? undefined });
    // Before the role check, so that calls a key may not make still spend its budget.
    await this.rateLimits.consume(principal);
    // A cookie is sent by the browser whoever asks: a change must also carry what only our page was told.
    if (req.webSession && !SAFE_METHODS.has(req.method) && !this.csrfMatches(req.webSession.csrfToken, req.headers[CSRF_HEADER]))
      throw new DomainError('csrf_failed', `a change made with a session cookie needs the ${CSRF_HEADER} header the login answered`);
    // Reads stay open to a suspended tenant, so it can see (and export) what it has; changes wait for reinstatement.
    if (principal.tenantSuspended && req.method !== 'GET' && req.method !== 'HEAD')
      throw new DomainError('tenant_suspended', 'the tenant is suspended: its keys may read, but change nothing until an operator reinstates it');
    const roles = this.reflector.getAllAndOverride<ApiKeyRole[]>(ROLES_KEY, targets);
    if (!roles) throw new DomainError('internal', 'route declares no roles');
    if (!roles.includes(principal.role)) throw new DomainError('forbidden', `this route is not open to ${principal.role} keys`);
    return true;
  }

  override handleRequest<T>(err: unknown, user: T): T {
    if (err instanceof Error) throw err;
    if (err) throw new DomainError('unauthenticated', 'the bearer token could not be checked');
    if (!user) throw new DomainError('unauthenticated', 'a valid bearer API key is required');
    return user;
  }

  private csrfMatches(expected: string, presented: string | string[] | undefined): boolean {
    return typeof presented === 'string' && constantTimeEquals(presented, expected);
  }

  /** A failed authentication: counted, sampled in the log, and charged to the client address's budget (429 once spent). */
  private async refuse(req: Request): Promise<never> {
    const reason = req.headers.authorization ? 'invalid' : 'missing';
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    try {
      await this.rateLimits.consumeUnauthenticated(address);
    } catch (limited) {
      this.failures.record(reason, address, true);
      throw limited;
    }
    this.failures.record(reason, address, false);
    const misplaced = reason === 'missing' && [req.query, req.body].some((v) => v && typeof v === 'object' && 'access_token' in v);
    throw new DomainError('unauthenticated', misplaced ? HEADER_ONLY : 'a valid bearer API key is required');
  }
}
