import http from 'node:http';
import https from 'node:https';
import { publicOnlyLookup, signWebhook, WEBHOOK_SIGNATURE_HEADER } from '@xenplane/core';

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  error?: string;
}

// A receiver's answer is not read beyond this: only its status counts.
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * One signed POST to a receiver: any 2xx is delivered, anything else (3xx included: redirects are not followed,
 * they could lead inside) a failure. Without `allowPrivate` the connection's own lookup refuses private addresses.
 */
export function sendWebhook(
  url: string,
  secret: string,
  event: { id: number; type: string },
  body: string,
  opts: { timeoutMs: number; allowPrivate: boolean; now?: () => number },
): Promise<SendResult> {
  const unix = Math.floor((opts.now?.() ?? Date.now()) / 1000);
  const target = new URL(url);
  const request = target.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve) => {
    const req = request(
      target,
      {
        method: 'POST',
        timeout: opts.timeoutMs,
        ...(opts.allowPrivate ? {} : { lookup: publicOnlyLookup }),
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'xenplane-webhooks/1',
          'x-xenplane-event-id': String(event.id),
          'x-xenplane-event-type': event.type,
          [WEBHOOK_SIGNATURE_HEADER]: signWebhook(secret, unix, body),
        },
      },
      (res) => {
        let seen = 0;
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > MAX_ANSWER_BYTES) res.destroy();
        });
        const status = res.statusCode ?? 0;
        const done = () =>
          resolve(status >= 200 && status < 300 ? { ok: true, statusCode: status } : { ok: false, statusCode: status, error: `HTTP ${status}` });
        res.on('end', done);
        res.on('close', done);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${String(opts.timeoutMs)} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ ok: false, statusCode: null, error: err.code ? `${err.code}: ${err.message}` : err.message }),
    );
    req.end(body);
  });
}
