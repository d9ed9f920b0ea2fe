import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Response } from 'express';
import type { RequestMeta as Meta } from '@xenplane/core';

/** `res.locals` keys: the request's id (its middleware) and the Idempotency-Key it claimed (its interceptor). */
export const REQUEST_ID_LOCAL = 'requestId';
export const IDEMPOTENCY_LOCAL = 'idempotency';

export type RequestMeta = Meta;

/** The request's id and claimed Idempotency-Key, for the operations it launches (passed on, never read from context). */
export const RequestMeta = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestMeta => {
  const { locals } = ctx.switchToHttp().getResponse<Response>();
  return { requestId: (locals[REQUEST_ID_LOCAL] as string | undefined) ?? null, idempotency: locals[IDEMPOTENCY_LOCAL] as Meta['idempotency'] };
});
