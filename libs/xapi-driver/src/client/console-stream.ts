import type http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket, { createWebSocketStream } from 'ws';
import { XapiTransportError } from '../errors/xapi-error.js';
import { TlsTrustError, VerifyingHttpsAgent } from '../transport/tls-agent.js';

/** How to reach a console (xapi's `console.location`): `connect` (HTTP CONNECT, as XenCenter and XO do) or `websocket`. */
export type ConsoleTransport = 'connect' | 'websocket';

export interface ConsoleStreamOptions {
  transport?: ConsoleTransport;
  /** default 30 000 */
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Settings extends Required<Omit<ConsoleStreamOptions, 'signal'>> {
  signal?: AbortSignal;
  /** the client's agent for the location's scheme: over HTTPS it checks the pool's certificate as for every call */
  agent: http.Agent;
}

const METHOD = 'console';
const MAX_HEAD = 16 * 1024;

// The session goes in a cookie (xapi_http.ml reads session_id from cookies first), never in the URL: URLs end up in logs.
const cookie = (session: string) => `session_id=${encodeURIComponent(session)}`;

function refused(status: number, line: string): XapiTransportError {
  return new XapiTransportError('http', `console refused: ${line}`, METHOD, { status });
}

// As for calls (http-poster.ts): an untrusted certificate is `tls` (nothing sent), anything else the connection's.
function connectionError(e: NodeJS.ErrnoException): XapiTransportError {
  if (e instanceof TlsTrustError)
    return new XapiTransportError('tls', `TLS: ${e.code} ${e.message}`, METHOD, { code: e.code, notSent: true, cause: e });
  return new XapiTransportError('connection', `${e.code ?? 'error'} ${e.message}`, METHOD, { code: e.code, cause: e });
}

/** Opens the console byte stream (raw RFB or vt100) at `location` with `session`. */
export function openConsoleStream(location: URL, session: string, opts: Settings): Promise<Duplex> {
  if (location.protocol !== 'http:' && location.protocol !== 'https:')
    throw new TypeError(`unsupported console location scheme ${location.protocol}`);
  return opts.transport === 'websocket' ? viaWebSocket(location, session, opts) : viaConnect(location, session, opts);
}

function guard<T>(opts: Settings, start: (settle: (err: Error | undefined, value?: T) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let cleanup = () => undefined as void;
    let done = false;
    const settle = (err: Error | undefined, value?: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) {
        cleanup();
        reject(err);
      } else resolve(value as T);
    };
    const timer = setTimeout(
      () => settle(new XapiTransportError('timeout', `no console answer within ${opts.timeoutMs} ms`, METHOD)),
      opts.timeoutMs,
    );
    const onAbort = () => settle(new XapiTransportError('aborted', 'console request aborted', METHOD));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    cleanup = start(settle);
  });
}

function viaConnect(location: URL, session: string, opts: Settings): Promise<Duplex> {
  return guard<Duplex>(opts, (settle) => {
    const secure = location.protocol === 'https:';
    const port = Number(location.port || (secure ? 443 : 80));
    const host = location.hostname.replace(/^\[|\]$/g, '');
    let socket: net.Socket | undefined;
    let gone = false;
    const talk = (s: net.Socket) => {
      if (gone) return void s.destroy();
      socket = s;
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return void (head.length > MAX_HEAD && settle(new XapiTransportError('protocol', 'console answer headers too large', METHOD)));
        const line = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(line)?.[1] ?? 0);
        if (status !== 200) return settle(refused(status, line));
        s.off('data', onData).off('error', onError);
        s.pause();
        if (head.length > end + 4) s.unshift(head.subarray(end + 4));
        settle(undefined, s);
      };
      const onError = (e: NodeJS.ErrnoException) => settle(connectionError(e));
      s.on('data', onData)
        .on('error', onError)
        .once('close', () => settle(new XapiTransportError('connection', 'console closed before answering', METHOD)));
      s.write(`CONNECT ${location.pathname}${location.search} HTTP/1.0\r\nHost: ${location.host}\r\nCookie: ${cookie(session)}\r\n\r\n`);
    };
    if (secure && opts.agent instanceof VerifyingHttpsAgent)
      opts.agent.connect(host, port).then(talk, (e: NodeJS.ErrnoException) => settle(connectionError(e)));
    else if (secure) settle(new TypeError("an https console needs the client's verifying agent"));
    else {
      const plain = net.connect(port, host);
      plain.once('error', (e: NodeJS.ErrnoException) => settle(connectionError(e))).once('connect', () => talk(plain));
    }
    return () => {
      gone = true;
      socket?.destroy();
    };
  });
}

function viaWebSocket(location: URL, session: string, opts: Settings): Promise<Duplex> {
  return guard<Duplex>(opts, (settle) => {
    const url = new URL(location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    // xapi's upgrade always answers "Sec-WebSocket-Protocol: binary", so a client must offer it
    const ws = new WebSocket(url, ['binary'], { headers: { Cookie: cookie(session) }, agent: opts.agent, perMessageDeflate: false });
    const stream = createWebSocketStream(ws); // now: the server speaks first, possibly in the 101's packet
    const noop = () => undefined;
    stream.on('error', noop);
    ws.once('unexpected-response', (_req, res) =>
      settle(refused(res.statusCode ?? 0, `HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage ?? ''}`.trim())),
    );
    ws.once('error', (e: NodeJS.ErrnoException) => settle(connectionError(e)));
    ws.once('open', () => {
      stream.off('error', noop);
      settle(undefined, stream);
    });
    return () => {
      stream.destroy();
      ws.terminate();
    };
  });
}
