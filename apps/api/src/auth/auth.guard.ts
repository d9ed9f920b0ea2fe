import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { DomainError, PUBLIC_KEY, type ApiKeyRole, requestContext } from '@xenplane/core';
import type { Principal } from '@xenplane/tenancy';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import { ROLES_KEY } from './roles.decorator.js';

/** Global guard: bearer authentication, the key's rate limit, then the route's role list. */
@Injectable()
export class ApiAuthGuard extends AuthGuard('bearer') {
  constructor(
    private readonly reflector: Reflector,
    private readonly rateLimits: RateLimitService,
  ) {
    super({ session: false });
  }

  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    await super.canActivate(ctx);
    const principal = ctx.switchToHttp().getRequest<{ user: Principal }>().user;
    requestContext.assign({ apiKeyId: principal.keyId, tenantId: principal.tenantId ?? undefined });
    // Before the role check, so that calls a key may not make still spend its budget.
    await this.rateLimits.consume(principal.keyId);
    const roles = this.reflector.getAllAndOverride<ApiKeyRole[]>(ROLES_KEY, targets);
    if (!roles) throw new DomainError('internal', 'route declares no roles');
    if (!roles.includes(principal.role)) throw new DomainError('forbidden', `this route is not open to ${principal.role} keys`);
    return true;
  }

  override handleRequest<T>(err: unknown, user: T): T {
    if (err) throw err;
    if (!user) throw new DomainError('unauthenticated', 'a valid bearer API key is required');
    return user;
  }
}
