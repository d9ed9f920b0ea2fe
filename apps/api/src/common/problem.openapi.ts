import type { OpenAPIObject } from '@nestjs/swagger';
import { ERROR_STATUS } from '@xenplane/core';

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: PROBLEM_REF } } });

/**
 * Documents the errors every operation shares: any failure is an RFC 9457 problem (`default`), input is checked on
 * every operation (400), and a body must be JSON (415) of at most 256 KiB (413).
 */
export function documentProblems(doc: OpenAPIObject): OpenAPIObject {
  doc.components ??= {};
  doc.components.schemas = {
    ...doc.components.schemas,
    Problem: {
      type: 'object',
      required: ['type', 'title', 'status', 'detail', 'code'],
      properties: {
        type: { type: 'string', example: 'urn:xenplane:problem:validation_failed' },
        title: { type: 'string' },
        status: { type: 'integer' },
        detail: { type: 'string' },
        code: { type: 'string', enum: Object.keys(ERROR_STATUS) },
        instance: { type: 'string', description: 'the request path' },
        requestId: { type: 'string', description: 'the X-Request-Id to quote when reporting a 500' },
        errors: {
          type: 'array',
          description: 'validation_failed: each problem and the field it is about',
          items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
  };
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item) as { requestBody?: unknown; responses?: Record<string, unknown> }[]) {
      op.responses = {
        ...op.responses,
        400: problemResponse('validation_failed (naming each field) or malformed_request'),
        ...(op.requestBody
          ? {
              413: problemResponse('payload_too_large: more than 256 KiB'),
              415: problemResponse('unsupported_media_type: the body is not application/json in UTF-8'),
            }
          : {}),
        default: problemResponse('any other error, as a problem with its code'),
      };
    }
  }
  return doc;
}
