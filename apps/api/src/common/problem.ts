import { ERROR_STATUS, ERROR_TITLES, type ErrorCode } from '@xenplane/core';

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

/** An RFC 9457 problem document for one of our error codes. */
export function problem(code: ErrorCode, detail: string, extra: Record<string, unknown> = {}): Problem {
  return { type: `urn:xenplane:problem:${code}`, title: ERROR_TITLES[code], status: ERROR_STATUS[code], detail, code, ...extra };
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
