import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { ApiKeyRole } from '@xenplane/core';
import type { Principal } from '@xenplane/tenancy';

export const ROLES_KEY = 'xenplane:roles';

/** Which key roles may call a route; a route without it is refused (fail closed). The document shows them (`x-roles`). */
export const Roles = (...roles: ApiKeyRole[]) => applyDecorators(SetMetadata(ROLES_KEY, roles), ApiExtension('x-roles', roles));
export const OperatorOnly = () => Roles('operator');
export const AnyRole = () => Roles('operator', 'admin', 'member');

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<{ user: Principal }>().user;
});
