import { HttpException } from '@nestjs/common';
import { DomainError, ERROR_STATUS, ERROR_TITLES, type ErrorCode } from '@xenplane/core';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  requestId?: string;
  [extra: string]: unknown;
}

/** `res.locals` key under which the error filter leaves the code it answered with. */
export const PROBLEM_CODE_LOCAL = 'problemCode';

/** An RFC 9457 problem document for one of our error codes. */
export function problem(code: ErrorCode, detail: string, extra: Record<string, unknown> = {}): Problem {
  // Extra fields never override the standard members.
  return { ...extra, type: `urn:xenplane:problem:${code}`, title: ERROR_TITLES[code], status: ERROR_STATUS[code], detail, code };
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'idempotency_key_reused',
  429: 'rate_limited',
  503: 'unavailable',
};

export function codeForStatus(status: number): ErrorCode {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'validation_failed');
}

/** Maps anything thrown while serving a request to the problem the client sees; internals never leak. */
export function toProblem(exception: unknown): Problem {
  if (exception instanceof DomainError) return problem(exception.code, exception.message, exception.extra);
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status >= 500) return problem('internal', 'an internal error occurred');
    return problem(codeForStatus(status), httpDetail(exception, status));
  }
  if (isDatabaseUnavailable(exception)) return problem('unavailable', 'the database is unavailable or overloaded; retry shortly', { retryAfter: 5 });
  return problem('internal', 'an internal error occurred; quote the request id when reporting it');
}

/** Connection failures and pool timeouts: the request was fine, the database could not be reached in time. */
function isDatabaseUnavailable(e: unknown): boolean {
  const err = e as { code?: string; message?: string; driverError?: { code?: string } };
  const code = err.code ?? err.driverError?.code ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', '57P01', '57P03', '53300'].includes(code) ||
    /timeout exceeded when trying to connect|Connection terminated/i.test(err.message ?? '')
  );
}

function httpDetail(exception: HttpException, status: number): string {
  if (status === 404) return 'no such route or resource';
  if (status === 401) return 'a valid bearer API key is required';
  const response = exception.getResponse();
  const message = typeof response === 'object' && response && 'message' in response ? response.message : exception.message;
  return Array.isArray(message) ? message.join('; ') : String(message);
}
