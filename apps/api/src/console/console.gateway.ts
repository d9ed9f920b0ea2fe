import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Application } from 'express';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { caught, DomainError, LOGGER } from '@xenplane/core';
import { AuthFailuresService } from '../auth/auth-failures.service.js';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import { consoleConnects, consoleSessionsOpen } from '../common/api.metrics.js';
import { endWithProblem } from '../common/client-error.handler.js';
import { problem, toProblem } from '../common/problem.js';
import { ConsoleRelay } from './console-relay.js';
import { CONSOLE_CONNECT_PATH, CONSOLE_REFRESH_MS, ConsoleService, type ClaimedSession } from './console.service.js';
import { PoolConsoleConnector } from './pool-console.connector.js';

const WS_KEY = /^[+/0-9A-Za-z]{22}==$/;

type TrustFn = (address: string, hop: number) => boolean;

/** The client's address as Express's `req.ip` reads it (an upgrade never reaches Express): past the trusted proxies. */
function clientAddress(req: IncomingMessage, trust: TrustFn): string {
  const forwarded = String(req.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean)
    .reverse();
  const hops = [req.socket.remoteAddress ?? 'unknown', ...forwarded];
  for (let i = 0; i < hops.length - 1; i++) if (!trust(hops[i], i)) return hops[i];
  return hops[hops.length - 1];
}

/**
 * The console gateway: WebSocket upgrades at CONSOLE_CONNECT_PATH. It spends the token, opens the VM's XAPI console
 * (PoolConsoleConnector) and only then completes the handshake, so every refusal is an HTTP problem; then it relays.
 * Log lines carry session, tenant and VM ids, never the URL (it holds the token) nor anything of the XAPI session.
 */
@Injectable()
export class ConsoleGateway implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: 1 << 20,
    // noVNC offers `binary`; a client offering only others gets no subprotocol (and gives up, as it should)
    handleProtocols: (offered) => (offered.has('binary') ? 'binary' : false),
  });
  private readonly relays = new Map<string, { relay: ConsoleRelay; finished: Promise<void> }>();
  private readonly connecting = new Set<Promise<void>>();
  private readonly shutdown = new AbortController();
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head);

  constructor(
    private readonly adapter: HttpAdapterHost,
    private readonly consoles: ConsoleService,
    private readonly connector: PoolConsoleConnector,
    private readonly rateLimits: RateLimitService,
    private readonly failures: AuthFailuresService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.server = this.adapter.httpAdapter.getHttpServer() as Server;
    this.server.on('upgrade', this.onUpgrade);
    this.timer = setInterval(() => void this.refresh(), CONSOLE_REFRESH_MS).unref();
  }

  /** Before the HTTP server closes (it would wait for these sockets): every session is closed and audited. */
  async beforeApplicationShutdown(): Promise<void> {
    this.server?.off('upgrade', this.onUpgrade);
    clearInterval(this.timer);
    this.shutdown.abort();
    await Promise.allSettled([...this.connecting]);
    for (const { relay } of this.relays.values()) relay.close(1001, 'the server is shutting down', 'shutdown');
    await Promise.allSettled([...this.relays.values()].map((r) => r.finished));
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== CONSOLE_CONNECT_PATH) return this.refuse(socket, problem('not_found', 'no WebSocket is served at this path'));
    const key = req.headers['sec-websocket-key'];
    const version = req.headers['sec-websocket-version'];
    if (
      req.method !== 'GET' ||
      req.headers.upgrade?.toLowerCase() !== 'websocket' ||
      !key ||
      !WS_KEY.test(key) ||
      !['8', '13'].includes(version ?? '')
    )
      return this.refuse(socket, problem('malformed_request', 'a WebSocket handshake (RFC 6455, version 13) is expected here'));
    if (this.shutdown.signal.aborted)
      return this.refuse(socket, problem('unavailable', 'the API is shutting down; ask for a new console', { retryAfter: 1 }));
    const tokens = url.searchParams.getAll('token');
    const task: Promise<void> = this.connect(req, socket, head, tokens.length === 1 ? tokens[0] : '')
      .catch((e: unknown) => {
        socket.destroy();
        caught(this.logger, 'console connect', undefined)(e);
      })
      .finally(() => this.connecting.delete(task));
    this.connecting.add(task);
  }

  private async connect(req: IncomingMessage, socket: Duplex, head: Buffer, token: string): Promise<void> {
    let session: ClaimedSession;
    try {
      session = await this.consoles.claim(token);
    } catch (e) {
      if (!(e instanceof DomainError))
        this.logger.error({ err: e instanceof Error ? e.message : String(e) }, 'console: a token could not be checked');
      return this.refuse(socket, toProblem(e instanceof DomainError && e.code === 'unauthenticated' ? await this.charged(req, e) : e));
    }
    const gone = new AbortController();
    const onGone = () => gone.abort();
    socket.once('close', onGone);
    let upstream: Duplex;
    try {
      upstream = await this.connector.open(session.poolId, session.xapiUuid, AbortSignal.any([gone.signal, this.shutdown.signal]));
    } catch (e) {
      const failure = e instanceof DomainError ? e : new DomainError('unavailable', 'the console could not be opened');
      this.refuse(socket, toProblem(failure));
      await this.consoles.finish(session, { reason: failure.code, bytesToClient: 0, bytesFromClient: 0 }, failure);
      return;
    } finally {
      socket.off('close', onGone);
    }
    let upgraded = false;
    if (!gone.signal.aborted && !socket.destroyed)
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        upgraded = true;
        this.serve(session, ws, upstream);
      });
    if (upgraded) return;
    upstream.destroy();
    socket.destroy();
    await this.consoles.finish(session, { reason: 'client_gone', bytesToClient: 0, bytesFromClient: 0 });
  }

  private serve(session: ClaimedSession, ws: WebSocket, upstream: Duplex): void {
    const relay = new ConsoleRelay(ws, upstream);
    const ids = { sessionId: session.id, tenantId: session.tenantId, vmId: session.vmId, apiKeyId: session.apiKeyId };
    consoleConnects.inc({ outcome: 'opened' });
    consoleSessionsOpen.inc();
    this.logger.info(ids, 'console session opened');
    // Kept in `relays` until its end is recorded, so that a shutdown waits for that write too.
    const finished = relay.done.then(async (end) => {
      consoleSessionsOpen.dec();
      const durationMs = await this.consoles.finish(session, end).catch(caught(this.logger, 'console audit', null, ids));
      this.relays.delete(session.id);
      this.logger.info({ ...ids, ...end, durationMs }, 'console session closed');
    });
    this.relays.set(session.id, { relay, finished });
  }

  // Pings every client, keeps this process's sessions counted, and closes those whose key was revoked meanwhile.
  private async refresh(): Promise<void> {
    for (const { relay } of this.relays.values()) relay.heartbeat();
    const revoked = await this.consoles.refresh([...this.relays.keys()]).catch(caught(this.logger, 'console refresh', [] as string[]));
    for (const id of revoked) this.relays.get(id)?.relay.close(1008, 'the API key was revoked', 'key_revoked');
  }

  // A bad token is a failed authentication like a bad key: counted, sampled, and charged to the address (429 once spent).
  private async charged(req: IncomingMessage, refusal: DomainError): Promise<DomainError> {
    const address = clientAddress(req, this.adapter.httpAdapter.getInstance<Application>().get('trust proxy fn') as TrustFn);
    try {
      await this.rateLimits.consumeUnauthenticated(address);
    } catch (limited) {
      this.failures.record('invalid', address, true);
      return limited instanceof DomainError ? limited : refusal;
    }
    this.failures.record('invalid', address, false);
    return refusal;
  }

  private refuse(socket: Duplex, answer: ReturnType<typeof problem>): void {
    consoleConnects.inc({ outcome: answer.code });
    const retry: Record<string, string> = typeof answer.retryAfter === 'number' ? { 'Retry-After': String(answer.retryAfter) } : {};
    if (!socket.destroyed) endWithProblem(socket, answer, retry);
  }
}
