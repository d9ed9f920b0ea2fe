import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { ApiKeyRole } from '@xenplane/core';
import type { Principal } from '@xenplane/tenancy';

export const ROLES_KEY = 'xenplane:roles';

/** Which key roles may call a route; a route without it is refused (fail closed). */
export const Roles = (...roles: ApiKeyRole[]) => SetMetadata(ROLES_KEY, roles);
export const OperatorOnly = () => Roles('operator');
export const AnyRole = () => Roles('operator', 'admin', 'member');

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<{ user: Principal }>().user;
});
