import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { DomainError, LOGGER, requestContext } from '@xenplane/core';
import { codeForStatus, problem, type Problem } from './problem.js';

/** Every error leaves as application/problem+json; unknown errors are a 500 with a request id and no internals. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const body = this.toProblem(exception);
    body.instance = req.originalUrl?.split('?')[0];
    body.requestId = requestContext.current()?.requestId;
    if (body.status >= 500) this.logger.error({ err: exception }, 'request failed');
    if (body.code === 'rate_limited' && typeof body.retryAfter === 'number') res.setHeader('Retry-After', String(body.retryAfter));
    if (res.headersSent) return;
    res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
  }

  private toProblem(exception: unknown): Problem {
    if (exception instanceof DomainError) return problem(exception.code, exception.message, exception.extra);
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = codeForStatus(status);
      if (status >= 500) return problem('internal', 'an internal error occurred');
      return problem(code, this.detailOf(exception, status));
    }
    // body-parser errors carry a status and a type but are not HttpExceptions.
    const parser = exception as { status?: number; type?: string };
    if (typeof parser.status === 'number' && parser.status >= 400 && parser.status < 500) {
      if (parser.type === 'entity.parse.failed') return problem('validation_failed', 'the request body is not valid JSON', { errors: [{ path: '', message: 'malformed JSON' }] });
      if (parser.type === 'entity.too.large') return problem('payload_too_large', 'the request body is too large');
      return problem(codeForStatus(parser.status), 'the request body could not be read');
    }
    return problem('internal', 'an internal error occurred; quote the request id when reporting it');
  }

  private detailOf(exception: HttpException, status: number): string {
    if (status === 404) return 'no such route or resource';
    if (status === 401) return 'a valid bearer API key is required';
    const response = exception.getResponse();
    const message = typeof response === 'object' && response && 'message' in response ? (response as { message: unknown }).message : exception.message;
    return Array.isArray(message) ? message.join('; ') : String(message);
  }
}
