import express, { type NextFunction, type Request, type Response } from 'express';
import { fieldError, requestContext } from '@xenplane/core';
import { problem, toProblem, type Problem } from './problem.js';

const parseJson = express.json({ limit: '256kb', strict: true });

/** A body is carried when one is framed (chunked, or a non-zero length); an empty POST has none to type. */
function carriesBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** Why a carried body's type is not ours to read: JSON (RFC 8259: UTF-8) only, whatever the route. */
function mediaTypeProblem(req: Request): Problem | null {
  const type = req.headers['content-type'] ?? '';
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(type)?.[1]?.toLowerCase();
  if (req.is('application/json') && (charset === undefined || charset === 'utf-8' || charset === 'utf8')) return null;
  const got = type ? `not ${type.slice(0, 100)}` : 'with no Content-Type';
  return problem('unsupported_media_type', `request bodies are application/json in UTF-8, ${got}`, { accepted: ['application/json'] });
}

function send(req: Request, res: Response, body: Problem): void {
  body.instance = req.originalUrl.split('?')[0];
  body.requestId = requestContext.current()?.requestId;
  res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}

// The one route whose body is not JSON: an image's disk, streamed by its handler (never buffered here).
const STREAMED = /^\/v1\/images\/[^/?]+\/file(?:\?|$)/;

/** JSON bodies; bodies of another type, malformed or oversized ones become problem+json here, before Nest's filters run. */
export function jsonBodyMiddleware(req: Request, res: Response, next: NextFunction): void {
  if (req.method === 'PUT' && STREAMED.test(req.originalUrl)) {
    const type = req.headers['content-type'];
    // The type alone, not req.is(): an empty upload still names what it is (and is then refused as empty).
    if (type && /^application\/octet-stream\s*(;|$)/i.test(type)) return next();
    const got = type ? `not ${type.slice(0, 100)}` : 'with no Content-Type';
    return send(
      req,
      res,
      problem('unsupported_media_type', `a disk is uploaded as application/octet-stream, ${got}`, { accepted: ['application/octet-stream'] }),
    );
  }
  const unsupported = carriesBody(req) ? mediaTypeProblem(req) : null;
  if (unsupported) return send(req, res, unsupported);
  parseJson(req, res, (err?: unknown) => {
    if (!err) return next();
    const e = err as { type?: string };
    send(
      req,
      res,
      e.type === 'entity.too.large'
        ? problem('payload_too_large', 'the request body is larger than 256 KiB')
        : e.type === 'charset.unsupported' || e.type === 'encoding.unsupported'
          ? problem('unsupported_media_type', 'send JSON in UTF-8, uncompressed or gzip/deflate/br')
          : e.type === 'entity.parse.failed'
            ? toProblem(fieldError('', 'malformed JSON', 'the request body is not valid JSON'))
            : problem('validation_failed', 'the request body could not be read'),
    );
  });
}
