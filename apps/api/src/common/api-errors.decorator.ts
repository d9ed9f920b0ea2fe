import { applyDecorators } from '@nestjs/common';
import { ApiExtension, ApiOperation } from '@nestjs/swagger';
import type { ErrorCode } from '@xenplane/core';

/** The extension a route's own error codes travel in, from the decorator to the document post-processor. */
export const ERROR_CODES_EXTENSION = 'x-error-codes';

/**
 * Documents a route: what it does, and the error codes only it can answer (those every route of its kind shares,
 * authentication, validation, ids, bodies, Idempotency-Key, are added by `finishDocument`). Every route has one, even
 * with no codes of its own: the documentation test refuses an operation without it.
 */
export function ApiDoc(doc: { summary: string; description: string; errors?: ErrorCode[] }): MethodDecorator {
  return applyDecorators(ApiOperation({ summary: doc.summary, description: doc.description }), ApiExtension(ERROR_CODES_EXTENSION, doc.errors ?? []));
}
