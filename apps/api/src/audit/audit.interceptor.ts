import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { tap, type Observable } from 'rxjs';
import { AUDIT_CREATED_ID } from './audit.middleware.js';

/** The id of what a request created: `{id}` or, for 202 answers, the `{<resource>, operation}` resource's. */
function createdId(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b.id === 'string') return b.id;
  for (const [k, v] of Object.entries(b)) {
    if (k !== 'operation' && v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string') return (v as { id: string }).id;
  }
  return undefined;
}

/** Notes the created resource's id for the audit row (only the handler's result knows it). */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const res = ctx.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      tap((body) => {
        if (res.req.method !== 'GET') res.locals[AUDIT_CREATED_ID] = createdId(body);
      }),
    );
  }
}
