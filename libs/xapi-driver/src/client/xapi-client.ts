import type http from 'node:http';
import { XapiError, XapiTransportError } from '../errors/xapi-error.js';
import { normaliseResult, prepareParams } from '../datamodel/value-normaliser.js';
import { HttpPoster } from '../transport/http-poster.js';
import { createTransport } from '../transport/rpc.transport.js';
import type { XapiTransport } from '../transport/xapi-transport.js';
import { watchEvents, type WatchEventsOptions, type XapiWatchEvent } from '../events/event-watcher.js';
import type { Duplex } from 'node:stream';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { openConsoleStream, type ConsoleStreamOptions } from './console-stream.js';
import { parseBaseUrl } from './host-url.js';
import { MAX_REDIRECTS, SessionManager } from './session-manager.js';
import { TaskWatcher } from './task-watcher.js';
import { taskOutcome } from './task-outcome.js';
import type { CallOptions, XapiClientOptions } from './xapi-client.options.js';

/**
 * A XAPI client for one pool: sessions (lazy login, one re-login on SESSION_INVALID), master redirect and
 * fail-over, a concurrency limit, async tasks, and values normalised by the datamodel on both wire formats.
 */
export class XapiClient {
  private readonly http: HttpPoster;
  private readonly transport: XapiTransport;
  private readonly sessions: SessionManager;
  private readonly limiter: ConcurrencyLimiter;
  private readonly tasks: TaskWatcher;
  private readonly closing = new AbortController();
  private readonly callTimeoutMs: number;
  private readonly taskTimeoutMs: number;
  private hostsLearned = false;

  constructor(private readonly opts: XapiClientOptions) {
    const base = parseBaseUrl(opts.url);
    this.callTimeoutMs = opts.callTimeoutMs ?? 60_000;
    this.taskTimeoutMs = opts.taskTimeoutMs ?? 30 * 60_000;
    const maxConcurrency = opts.maxConcurrency ?? 16;
    this.http = new HttpPoster({ tls: { ...opts.tls, allowUnauthorized: opts.allowUnauthorized }, maxSockets: maxConcurrency + 8 });
    this.transport = createTransport(opts.transport ?? 'auto', this.http);
    this.limiter = new ConcurrencyLimiter(maxConcurrency);
    this.sessions = new SessionManager(base, this.transport, {
      username: opts.username,
      password: opts.password,
      originator: opts.originator ?? 'xenplane',
      timeoutMs: this.callTimeoutMs,
      hostAddresses: opts.hostAddresses ?? [],
      ...(opts.afterLogin ? { afterLogin: opts.afterLogin } : {}),
    });
    this.tasks = new TaskWatcher(this, opts.taskPollIntervalMs ?? 500, this.closing.signal);
  }

  /** Wire format in use (`undefined` with `auto` until the first answer). */
  get protocol(): 'json-rpc' | 'xml-rpc' | undefined {
    return this.transport.protocol;
  }

  /** URL of the host currently used as master. */
  get masterUrl(): string {
    return this.sessions.master.href;
  }

  /** Calls `method` with the session prepended; resolves with the result normalised by the datamodel. */
  call<T = unknown>(method: string, ...params: unknown[]): Promise<T> {
    return this.callWith<T>(method, params);
  }

  /** Like `call`, with per-call options (timeout, abort signal, bypass of the concurrency limit). */
  async callWith<T = unknown>(method: string, params: readonly unknown[], options: CallOptions = {}): Promise<T> {
    if (method === 'session.login_with_password' || method === 'session.logout') {
      throw new TypeError(`${method} is managed by XapiClient`);
    }
    const started = performance.now();
    let error: unknown;
    const release = options.unlimited ? () => undefined : await this.limiter.acquire();
    try {
      return (await this.callWithSession(method, prepareParams(method, params), options)) as T;
    } catch (e) {
      error = e;
      throw e;
    } finally {
      release();
      if (!options.silent) this.opts.observer?.({ method, durationMs: performance.now() - started, ...(error === undefined ? {} : { error }) });
    }
  }

  /**
   * A synchronous call that may run as long as a task may (`taskTimeoutMs`): xapi runs it as a task of its own and
   * destroys that itself (server_helpers.ml `finally_destroy_context`), so it costs one round trip instead of three.
   */
  callLong<T = unknown>(method: string, ...params: unknown[]): Promise<T> {
    return this.callWith<T>(method, params, { timeoutMs: this.taskTimeoutMs });
  }

  /**
   * Calls `Async.<method>`, waits for the task (event.from, polling fallback), destroys it, and resolves with the
   * decoded result; a failed task rejects with XapiError from its `error_info`.
   */
  async callAsync<T = unknown>(method: string, ...params: unknown[]): Promise<T> {
    return this.callAsyncWith<T>(method, params);
  }

  /** Like `callAsync`, with a task timeout (default `taskTimeoutMs`); on expiry the task is cancelled. */
  async callAsyncWith<T = unknown>(method: string, params: readonly unknown[], options: { taskTimeoutMs?: number } = {}): Promise<T> {
    const taskRef = await this.callWith<string>(`Async.${method}`, params);
    return this.awaitTask<T>(taskRef, method, options);
  }

  /** Waits for a task (one we created, e.g. for an HTTP transfer), destroys it, and resolves with its decoded result. */
  async awaitTask<T = unknown>(taskRef: string, method: string, options: { taskTimeoutMs?: number } = {}): Promise<T> {
    try {
      const task = await this.tasks.wait(taskRef, method, options.taskTimeoutMs ?? this.taskTimeoutMs);
      return taskOutcome(task, method, taskRef) as T;
    } finally {
      // always destroy: XAPI only garbage-collects finished tasks slowly
      await this.callWith('task.destroy', [taskRef], { silent: true }).catch(() => undefined);
    }
  }

  /** Where an HTTP handler of the pool master is reached: its URL, our session (logging in if needed) and agent. */
  async httpEndpoint(): Promise<{ master: URL; session: string; agent: http.Agent }> {
    const session = await this.sessions.session();
    const master = this.sessions.master;
    return { master, session, agent: this.http.agentFor(master) };
  }

  /**
   * Follows changes of `classes` (e.g. `['VM', 'host']`): a `sync` event per class with all records first, then
   * add/mod/del events; restarts from a fresh sync on EVENTS_LOST / SESSION_INVALID. Resolves when `signal` aborts.
   */
  watchEvents(
    classes: string[],
    onEvent: (e: XapiWatchEvent) => void | Promise<void>,
    signal: AbortSignal,
    options?: WatchEventsOptions,
  ): Promise<void> {
    return watchEvents(this, classes, onEvent, AbortSignal.any([signal, this.closing.signal]), options);
  }

  /**
   * Opens a console's byte stream (RFB or vt100) at its `console.location`, over HTTP CONNECT (default) or a
   * WebSocket. The session travels inside (a cookie), never in the URL or an error; a 401 logs in again once.
   */
  async openConsole(location: string, options: ConsoleStreamOptions = {}): Promise<Duplex> {
    const url = new URL(location);
    const settings = {
      transport: options.transport ?? 'connect',
      timeoutMs: options.timeoutMs ?? 30_000,
      signal: options.signal,
      agent: this.http.agentFor(url),
    };
    for (let relogged = false; ; relogged = true) {
      const session = await this.sessions.session();
      try {
        return await openConsoleStream(url, session, settings);
      } catch (e) {
        if (!(e instanceof XapiTransportError && e.details.status === 401) || relogged) throw e;
        this.sessions.invalidate(session);
      }
    }
  }

  /** Logs out, stops task and event loops, and closes sockets. */
  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    await this.sessions.logout(Math.min(this.callTimeoutMs, 5_000));
    this.http.close();
  }

  private async callWithSession(method: string, params: unknown[], options: CallOptions): Promise<unknown> {
    let relogged = false;
    let failedOver = false;
    let redirects = 0;
    for (;;) {
      if (this.closing.signal.aborted) throw new XapiTransportError('aborted', 'client closed', method);
      const session = await this.sessions.session();
      if (!this.hostsLearned) this.learnHosts();
      try {
        const signal = options.signal ? AbortSignal.any([options.signal, this.closing.signal]) : this.closing.signal;
        const raw = await this.transport.call(this.sessions.master, method, [session, ...params], {
          timeoutMs: options.timeoutMs ?? this.callTimeoutMs,
          signal,
        });
        return normaliseResult(method, raw);
      } catch (e) {
        if (e instanceof XapiError && e.code === 'SESSION_INVALID' && !relogged) {
          relogged = true;
          this.sessions.invalidate(session);
          continue;
        }
        // the master moved (designate_new_master, HA): follow it, a bounded number of times
        if (e instanceof XapiError && e.code === 'HOST_IS_SLAVE' && e.params[0] && redirects++ < MAX_REDIRECTS) {
          this.sessions.follow(e.params[0]);
          continue;
        }
        // the master refused the connection: log in again (trying every known host) and resend once
        if (e instanceof XapiTransportError && e.details.notSent && !failedOver) {
          failedOver = true;
          this.sessions.invalidate(session);
          continue;
        }
        // a silent master (dead host, HA moving): the next call logs in again, probing the other hosts
        if (e instanceof XapiTransportError && e.kind === 'timeout') this.sessions.abandon(session);
        throw e;
      }
    }
  }

  // remembers every host's address for fail-over (once per client, in the background)
  private learnHosts(): void {
    this.hostsLearned = true;
    this.callWith<Record<string, { address?: string }>>('host.get_all_records', [], { silent: true, unlimited: true })
      .then((hosts) => this.sessions.learnHosts(Object.values(hosts).map((h) => h.address ?? '')))
      .catch(() => {
        this.hostsLearned = false;
      });
  }
}
