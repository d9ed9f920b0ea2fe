import http from 'node:http';
import https from 'node:https';
import { XapiTransportError } from '../errors/xapi-error.js';
import { TlsTrustError, VerifyingHttpsAgent, type XapiTlsOptions } from './tls-agent.js';

/** Raw HTTP answer to a POST. */
export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** Per-request options. */
export interface PostOptions {
  timeoutMs: number;
  /** XAPI method, for error messages */
  method: string;
  signal?: AbortSignal;
}

// errno codes raised before any byte reached the server: safe to send elsewhere
const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

/** POSTs bodies over keep-alive connections (one agent per scheme), with a timeout per request. */
export class HttpPoster {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(opts: { tls?: XapiTlsOptions; maxSockets?: number } = {}) {
    const common = { keepAlive: true, maxSockets: opts.maxSockets ?? 32, scheduling: 'lifo' as const };
    this.httpAgent = new http.Agent(common);
    this.httpsAgent = new VerifyingHttpsAgent(opts.tls ?? {}, common);
  }

  /**
   * Sends one POST; rejects with XapiTransportError on socket errors, timeout or abort. A keep-alive socket the
   * server closed meanwhile (reset before any answer) is retried once on a fresh socket, as it never reached XAPI.
   */
  async post(url: URL, body: string, contentType: string, opts: PostOptions): Promise<HttpAnswer> {
    try {
      return await this.postOnce(url, body, contentType, opts);
    } catch (e) {
      if (!(e instanceof XapiTransportError) || !e.details.staleSocket) throw e;
      return this.postOnce(url, body, contentType, opts);
    }
  }

  private postOnce(url: URL, body: string, contentType: string, opts: PostOptions): Promise<HttpAnswer> {
    const mod = url.protocol === 'https:' ? https : http;
    const agent = url.protocol === 'https:' ? this.httpsAgent : this.httpAgent;
    if (opts.signal?.aborted) return Promise.reject(new XapiTransportError('aborted', 'request aborted', opts.method));
    return new Promise<HttpAnswer>((resolve, reject) => {
      let settled = false;
      const finish = (err: XapiTransportError | undefined, answer?: HttpAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(answer!);
      };
      const req = mod.request(url, {
        method: 'POST',
        agent,
        headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body), accept: contentType },
      });
      const timer = setTimeout(() => {
        finish(new XapiTransportError('timeout', `no answer within ${opts.timeoutMs} ms`, opts.method));
        req.destroy();
      }, opts.timeoutMs);
      const onAbort = () => {
        finish(new XapiTransportError('aborted', 'request aborted', opts.method));
        req.destroy();
      };
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e instanceof TlsTrustError) {
          return finish(new XapiTransportError('tls', `TLS: ${e.code} ${e.message}`, opts.method, { code: e.code, notSent: true, cause: e }));
        }
        const staleSocket = req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE');
        const notSent = CONNECT_CODES.has(e.code ?? '') || staleSocket;
        finish(
          new XapiTransportError('connection', `${e.code ?? 'error'} ${e.message}`, opts.method, { code: e.code, notSent, staleSocket, cause: e }),
        );
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e: NodeJS.ErrnoException) =>
          finish(new XapiTransportError('connection', `response ${e.message}`, opts.method, { code: e.code, cause: e })),
        );
        res.on('end', () =>
          finish(undefined, {
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      req.end(body);
    });
  }

  /** The keep-alive agent (with this client's TLS settings) for `url`'s scheme. */
  agentFor(url: URL): http.Agent {
    return url.protocol === 'https:' ? this.httpsAgent : this.httpAgent;
  }

  /** Closes idle sockets and refuses to keep new ones. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
