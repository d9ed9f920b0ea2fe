import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { ValidationFailedError } from '@xenplane/core';

/**
 * A handler that declares no `@Query()` DTO takes no query parameters: any sent are refused as unknown, as its DTO
 * would refuse them (the validation pipe only ever sees the parameters a handler declares).
 */
@Injectable()
export class UndeclaredQueryInterceptor implements NestInterceptor {
  private readonly declares = new WeakMap<object, boolean>();

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const names = Object.keys(ctx.switchToHttp().getRequest<Request>().query ?? {});
    if (names.length && !this.declaresQuery(ctx)) {
      throw new ValidationFailedError(names.map((path) => ({ path, message: 'is not a parameter of this operation' })));
    }
    return next.handle();
  }

  private declaresQuery(ctx: ExecutionContext): boolean {
    const handler = ctx.getHandler();
    let known = this.declares.get(handler);
    if (known === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, ctx.getClass(), handler.name) ?? {}) as Record<string, unknown>;
      known = Object.keys(args).some((k) => Number(k.split(':')[0]) === Number(RouteParamtypes.QUERY));
      this.declares.set(handler, known);
    }
    return known;
  }
}
