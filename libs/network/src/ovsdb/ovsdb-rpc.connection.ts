// One JSON-RPC 1.0 session on one socket: request ids, pending map, echo replies and keepalive.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { JsonStreamParser } from './json-stream.parser.js';

/** An error object returned in a JSON-RPC reply (`{"error": "...", "details": "..."}` or a bare string). */
export class OvsdbRpcError extends Error {
  override readonly name = 'OvsdbRpcError';
  constructor(
    readonly method: string,
    readonly error: string,
    readonly details?: string,
  ) {
    super(`${method}: ${error}${details ? `: ${details}` : ''}`);
  }
}

/** The session ended (socket closed, keepalive failed or closed by us) with requests outstanding. */
export class OvsdbDisconnectedError extends Error {
  override readonly name = 'OvsdbDisconnectedError';
}

/** Timing of the keepalive echo and of requests. */
export interface RpcTimings {
  /** Send an echo when nothing arrived for this long; 0 disables keepalive. */
  echoIntervalMs: number;
  /** The echo must be answered within this. */
  echoTimeoutMs: number;
  /** Default per-request timeout. */
  requestTimeoutMs: number;
}

interface Pending {
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Wraps a connected socket. Emits `notification(method, params)` for id-less messages,
 * `echo-request(params)` after answering the server's echo, and `close(error?)` once.
 */
export class OvsdbRpcConnection extends EventEmitter {
  private readonly parser = new JsonStreamParser();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private lastReceived = Date.now();
  private keepalive?: NodeJS.Timeout;
  private echoInFlight = false;

  constructor(
    private readonly socket: Socket,
    private readonly timings: RpcTimings,
  ) {
    super();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.close(err));
    socket.on('close', () => this.close(new OvsdbDisconnectedError('connection closed by peer')));
    if (timings.echoIntervalMs > 0) {
      // poll at a fraction of the interval so an idle link is probed roughly on time
      this.keepalive = setInterval(() => this.probe(), Math.max(10, Math.floor(timings.echoIntervalMs / 4)));
      this.keepalive.unref();
    }
  }

  /** Sends a request and resolves with its `result`, or rejects with OvsdbRpcError / timeout / disconnect. */
  request(method: string, params: unknown[], timeoutMs = this.timings.requestTimeoutMs): Promise<unknown> {
    if (this.closed) return Promise.reject(new OvsdbDisconnectedError(`${method}: not connected`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      this.send({ id, method, params });
    });
  }

  /** True until the socket closes. */
  get isOpen(): boolean {
    return !this.closed;
  }

  /** Closes the socket and fails every pending request. Idempotent. */
  close(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepalive);
    this.socket.destroy();
    const reason = err ?? new OvsdbDisconnectedError('connection closed');
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(reason instanceof OvsdbDisconnectedError ? reason : new OvsdbDisconnectedError(`${p.method}: ${reason.message}`));
    }
    this.pending.clear();
    this.emit('close', err);
  }

  private send(msg: unknown): void {
    if (!this.closed) this.socket.write(JSON.stringify(msg));
  }

  private probe(): void {
    if (this.closed || this.echoInFlight) return;
    if (Date.now() - this.lastReceived < this.timings.echoIntervalMs) return;
    this.echoInFlight = true;
    this.request('echo', ['keepalive'], this.timings.echoTimeoutMs).then(
      () => {
        this.echoInFlight = false;
      },
      (err: Error) => {
        this.echoInFlight = false;
        this.close(new OvsdbDisconnectedError(`keepalive failed: ${err.message}`));
      },
    );
  }

  private onData(chunk: Buffer): void {
    this.lastReceived = Date.now();
    let messages: unknown[];
    try {
      messages = this.parser.push(chunk);
    } catch (err) {
      this.close(err as Error);
      return;
    }
    for (const m of messages) {
      if (this.closed) return;
      this.dispatch(m as Record<string, unknown>);
    }
  }

  private dispatch(m: Record<string, unknown>): void {
    if (typeof m.method === 'string') {
      if (m.id === null || m.id === undefined) {
        this.emit('notification', m.method, m.params);
      } else if (m.method === 'echo') {
        this.send({ id: m.id, result: m.params ?? [], error: null }); // the server's inactivity probe
        this.emit('echo-request', m.params);
      } else {
        this.send({ id: m.id, result: null, error: { error: 'unknown method', details: m.method } });
      }
      return;
    }
    const p = typeof m.id === 'number' ? this.pending.get(m.id) : undefined;
    if (!p) return; // late reply to a request that already timed out
    this.pending.delete(m.id as number);
    clearTimeout(p.timer);
    if (m.error === null || m.error === undefined) p.resolve(m.result);
    else if (typeof m.error === 'string') p.reject(new OvsdbRpcError(p.method, m.error));
    else {
      const e = m.error as { error?: unknown; details?: unknown };
      p.reject(
        new OvsdbRpcError(
          p.method,
          typeof e.error === 'string' ? e.error : JSON.stringify(m.error),
          typeof e.details === 'string' ? e.details : undefined,
        ),
      );
    }
  }
}
