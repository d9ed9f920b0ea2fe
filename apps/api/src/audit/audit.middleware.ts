import { createHash } from 'node:crypto';
import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { requestContext } from '@xenplane/core';
import type { Principal } from '@xenplane/tenancy';
import { PROBLEM_CODE_LOCAL } from '../common/problem.js';
import { AuditService } from './audit.service.js';
import { routeTemplate } from '../common/route-template.js';

export const AUDIT_CREATED_ID = 'auditCreatedId';

// Request fields too secret to keep, recorded by their sha256 so an auditor can still match a value to a request.
const SECRET_BODY_FIELDS = ['userData'];

function secretDigests(body: unknown): Record<string, string> | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const out: Record<string, string> = {};
  for (const f of SECRET_BODY_FIELDS) {
    const v = (body as Record<string, unknown>)[f];
    if (typeof v === 'string') out[`${f}Sha256`] = createHash('sha256').update(v, 'utf8').digest('hex');
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * Audits each request once its answer is known. The row is a separate (batched) insert after the response, not
 * part of the request's transaction: failures (which roll back) must be recorded too, and audit must never fail a request.
 */
@Injectable()
export class AuditMiddleware implements NestMiddleware {
  constructor(private readonly audit: AuditService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const ctx = requestContext.current();
    res.once('close', () => {
      this.audit.record({
        method: req.method,
        route: routeTemplate(req),
        path: req.originalUrl.split('?')[0] ?? '',
        // 'close' without a finished answer: the client went away and the result is unknown.
        status: res.writableFinished ? res.statusCode : undefined,
        principal: (req as Request & { user?: Principal }).user,
        actingTenantId: ctx?.tenantId,
        params: { ...(req.params as Record<string, string>) },
        query: req.query ?? {},
        createdId: res.locals[AUDIT_CREATED_ID] as string | undefined,
        errorCode: res.locals[PROBLEM_CODE_LOCAL] as string | undefined,
        requestId: ctx?.requestId ?? 'unknown',
        details: secretDigests(req.body),
      });
    });
    next();
  }
}
