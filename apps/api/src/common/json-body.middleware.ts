import express, { type NextFunction, type Request, type Response } from 'express';
import { fieldError, requestContext, type FieldError } from '@xenplane/core';
import { problem, toProblem } from './problem.js';

const parseJson = express.json({ limit: '256kb', strict: true });
// Far beyond any DTO of ours; deeper bodies would overflow the stack of class-transformer's recursive walk (a 500).
const MAX_DEPTH = 32;

// Prototype keys: class-transformer drops them silently, so validation would never refuse them as unknown fields.
const FORBIDDEN_KEYS = ['__proto__', 'constructor'];

/** What is wrong with a parsed body's shape, if anything: nested too deep, or a prototype key. */
function shapeProblem(body: unknown): FieldError | null {
  const stack: [unknown, string, number][] = [[body, '', 0]];
  while (stack.length) {
    const [value, path, depth] = stack.pop()!;
    if (!value || typeof value !== 'object') continue;
    if (depth >= MAX_DEPTH) return { path, message: `nested deeper than ${MAX_DEPTH} levels` };
    const forbidden = Array.isArray(value) ? undefined : FORBIDDEN_KEYS.find((k) => Object.hasOwn(value, k));
    if (forbidden) return { path: path ? `${path}.${forbidden}` : forbidden, message: 'is not an allowed field name' };
    for (const [k, v] of Object.entries(value)) stack.push([v, path ? `${path}.${k}` : k, depth + 1]);
  }
  return null;
}

/** JSON bodies; malformed or oversized ones become problem+json here, since they fail before Nest's filters run. */
export function jsonBodyMiddleware(req: Request, res: Response, next: NextFunction): void {
  parseJson(req, res, (err?: unknown) => {
    const shape = err ? null : shapeProblem(req.body);
    if (!err && !shape) return next();
    const e = (err ?? {}) as { type?: string };
    const body = shape
      ? toProblem(fieldError(shape.path, shape.message))
      : e.type === 'entity.too.large'
        ? problem('payload_too_large', 'the request body is larger than 256 KiB')
        : e.type === 'charset.unsupported' || e.type === 'encoding.unsupported'
          ? problem('unsupported_media_type', 'send JSON in UTF-8, uncompressed or gzip/deflate/br')
          : e.type === 'entity.parse.failed'
          ? toProblem(fieldError('', 'malformed JSON', 'the request body is not valid JSON'))
          : problem('validation_failed', 'the request body could not be read');
    body.instance = req.originalUrl.split('?')[0];
    body.requestId = requestContext.current()?.requestId;
    res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
  });
}
