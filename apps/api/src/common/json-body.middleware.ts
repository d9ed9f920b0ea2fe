import express, { type NextFunction, type Request, type Response } from 'express';
import { requestContext } from '@xenplane/core';
import { problem } from './problem.js';

const parseJson = express.json({ limit: '256kb', strict: true });

/** JSON bodies; malformed or oversized ones become problem+json here, since they fail before Nest's filters run. */
export function jsonBodyMiddleware(req: Request, res: Response, next: NextFunction): void {
  parseJson(req, res, (err?: unknown) => {
    if (!err) return next();
    const e = err as { type?: string };
    const body =
      e.type === 'entity.too.large'
        ? problem('payload_too_large', 'the request body is larger than 256 KiB')
        : e.type === 'entity.parse.failed'
          ? problem('validation_failed', 'the request body is not valid JSON', { errors: [{ path: '', message: 'malformed JSON' }] })
          : problem('validation_failed', 'the request body could not be read');
    body.instance = req.originalUrl.split('?')[0];
    body.requestId = requestContext.current()?.requestId;
    res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
  });
}
