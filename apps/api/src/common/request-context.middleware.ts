import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { requestContext } from '@xenplane/core';
import { httpRequestDuration } from './api.metrics.js';
import { REQUEST_ID_LOCAL } from './request-meta.decorator.js';
import { routeTemplate } from './route-template.js';

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Gives each request an id (ours, or a sane X-Request-Id; kept for @RequestMeta), opens its log context and times it. */
export function requestContextMiddleware(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.header('x-request-id');
  const requestId = incoming && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', requestId);
  res.locals[REQUEST_ID_LOCAL] = requestId;
  const end = httpRequestDuration.startTimer({ method: req.method });
  res.on('finish', () => {
    // The route template keeps label cardinality bounded (ids never become labels).
    const route = routeTemplate(req) ?? 'unmatched';
    end({ route, status: String(res.statusCode) });
  });
  requestContext.run({ requestId }, () => next());
}
