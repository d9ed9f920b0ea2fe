import { maxHeaderSize, STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import { requestContext, type ErrorCode } from '@xenplane/core';
import { problem, type Problem } from './problem.js';

// Node's parser errors (llhttp `HPE_*` codes and the server's own timeouts) and what each means to the client.
function answerFor(code: string | undefined): [ErrorCode, string] {
  if (code === 'HPE_HEADER_OVERFLOW')
    return ['headers_too_large', `the request headers are larger than the server accepts (${Math.floor(maxHeaderSize / 1024)} KiB)`];
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT') return ['request_timeout', 'the request did not arrive in time'];
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return ['payload_too_large', 'chunk extensions are too large'];
  return ['malformed_request', 'the request is not well-formed HTTP/1.1 (request line, method, headers or framing)'];
}

/**
 * Requests Node's HTTP parser refuses never reach Express; by default Node answers them with a bare status line.
 * This answers them as problem+json too (then closes: after a framing error nothing else on the connection can be trusted).
 */
export function answerClientErrors(server: Server): void {
  // Node would answer a missing Host with a bare 400 of its own; hostHeaderMiddleware answers it as a problem instead.
  (server as Server & { requireHostHeader: boolean }).requireHostHeader = false;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex & { _httpMessage?: { headersSent?: boolean } }) => {
    // A reset connection cannot be answered; one whose answer has begun cannot be answered again.
    if (err.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const [code, detail] = answerFor(err.code);
    endWithProblem(socket, problem(code, detail));
  });
}

/** Answers a connection Express never saw (a parser error, a WebSocket upgrade refused) with a problem, then closes it. */
export function endWithProblem(socket: Duplex, answer: Problem, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(answer);
  const status = answer.status;
  socket.end(
    [
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      'Content-Type: application/problem+json',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}

/** HTTP/1.1 requires a Host header (RFC 9112 §3.2); Node's own check is turned off so that the answer is a problem. */
export function hostHeaderMiddleware(req: Request, res: Response, next: NextFunction): void {
  if (req.headers.host !== undefined || req.httpVersion !== '1.1') return next();
  const body = {
    ...problem('malformed_request', 'HTTP/1.1 requests need a Host header'),
    instance: req.path,
    requestId: requestContext.current()?.requestId,
  };
  res.status(400).setHeader('Connection', 'close');
  res.type('application/problem+json').send(JSON.stringify(body));
}
