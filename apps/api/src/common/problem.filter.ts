import { type ArgumentsHost, Catch, type ExceptionFilter, Inject, NotFoundException } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { DomainError, LOGGER, requestContext } from '@xenplane/core';
import { allowedMethods } from './allowed-methods.js';
import { PROBLEM_CODE_LOCAL, toProblem } from './problem.js';

/** Every error leaves as application/problem+json; unknown errors are a 500 with a request id and no internals. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const body = toProblem(this.methodNotAllowed(exception, req, res) ?? exception);
    body.instance = req.originalUrl?.split('?')[0];
    body.requestId = requestContext.current()?.requestId;
    if (body.status >= 500) this.logger.error({ err: exception }, 'request failed');
    if (typeof body.retryAfter === 'number') res.setHeader('Retry-After', String(body.retryAfter));
    // RFC 6750 §3: the challenge names the scheme, and says invalid_token when a token was sent and refused.
    if (body.status === 401)
      res.setHeader('WWW-Authenticate', `Bearer realm="xenplane"${req.headers?.authorization ? ', error="invalid_token"' : ''}`);
    if (res.headersSent) return;
    // Kept for the audit row, which is written once the answer is out.
    res.locals[PROBLEM_CODE_LOCAL] = body.code;
    res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
  }

  /** No route matched, but the path is served with other methods: 405 with Allow (RFC 9110 §15.5.6), not 404. */
  private methodNotAllowed(exception: unknown, req: Request, res: Response): DomainError | undefined {
    if (!(exception instanceof NotFoundException) || req.route) return undefined;
    const allow = allowedMethods(req);
    if (!allow.length) return undefined;
    res.setHeader('Allow', allow.join(', '));
    return new DomainError('method_not_allowed', `${req.method} is not served here; this path serves ${allow.join(', ')}`, { allow });
  }
}
