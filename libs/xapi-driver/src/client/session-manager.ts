import { XapiError, XapiTransportError } from '../errors/xapi-error.js';
import type { XapiTransport } from '../transport/xapi-transport.js';
import { hostKey, parseBaseUrl, urlForHost } from './host-url.js';

export const MAX_REDIRECTS = 3;

/** Login settings. */
export interface SessionSettings {
  username: string;
  password: string;
  originator: string;
  timeoutMs: number;
  hostAddresses: string[];
  /** Runs after every login, before the session is used; a throw discards the session and fails the call. */
  afterLogin?: (call: SessionCall) => Promise<void>;
}

/** A call on the session just opened (raw result, not normalised). */
export type SessionCall = (method: string, ...params: unknown[]) => Promise<unknown>;

/**
 * Owns the session and the master's URL: lazy single-flight login, `HOST_IS_SLAVE` redirects, and fail-over
 * across known pool hosts when the master cannot be reached.
 */
export class SessionManager {
  private current: Promise<string> | undefined;
  private ref: string | undefined;
  private masterUrl: URL;
  private readonly candidates = new Map<string, URL>();

  constructor(
    base: URL,
    private readonly transport: XapiTransport,
    private readonly settings: SessionSettings,
  ) {
    this.masterUrl = base;
    this.remember(base);
    for (const a of settings.hostAddresses) this.remember(/:\/\//.test(a) ? parseBaseUrl(a) : urlForHost(base, a));
  }

  /** URL of the host currently believed to be the master. */
  get master(): URL {
    return this.masterUrl;
  }

  /** The live session ref, if logged in. */
  get sessionRef(): string | undefined {
    return this.ref;
  }

  /** Returns the session, logging in first if needed (concurrent callers share one login). */
  session(): Promise<string> {
    this.current ??= this.login()
      .then((ref) => this.checked(ref))
      .then(
        (ref) => (this.ref = ref),
        (e: unknown) => {
          this.current = undefined;
          throw e;
        },
      );
    return this.current;
  }

  /** Forgets `ref` (after SESSION_INVALID or a lost master) so the next call logs in again. */
  invalidate(ref: string): void {
    if (this.ref !== ref) return;
    this.ref = undefined;
    this.current = undefined;
  }

  /** Forgets `ref` and logs it out in the background (bounded), so sessions do not pile up on the server. */
  abandon(ref: string): void {
    if (this.ref !== ref) return;
    const master = this.masterUrl;
    this.invalidate(ref);
    void this.transport.call(master, 'session.logout', [ref], { timeoutMs: 5_000 }).catch(() => undefined);
  }

  /** Points calls at the master named by a `HOST_IS_SLAVE` answer; the session stays (a stale one re-logs in). */
  follow(address: string): void {
    this.masterUrl = urlForHost(this.masterUrl, address);
    this.remember(this.masterUrl);
  }

  /** Adds pool host addresses (e.g. from `host.address`) to the fail-over candidates. */
  learnHosts(addresses: Iterable<string>): void {
    for (const a of addresses) if (a) this.remember(urlForHost(this.masterUrl, a));
  }

  /** Logs out (best effort) and forgets the session. */
  async logout(timeoutMs: number): Promise<void> {
    const ref = this.ref;
    this.ref = undefined;
    this.current = undefined;
    if (!ref) return;
    await this.transport.call(this.masterUrl, 'session.logout', [ref], { timeoutMs }).catch(() => undefined);
  }

  // The caller's check of whom it reached (e.g. the pool's identity): a session that fails it is never handed out.
  private async checked(ref: string): Promise<string> {
    const check = this.settings.afterLogin;
    if (!check) return ref;
    const master = this.masterUrl;
    const { timeoutMs } = this.settings;
    try {
      await check((method, ...params) => this.transport.call(master, method, [ref, ...params], { timeoutMs }));
      return ref;
    } catch (e) {
      void this.transport.call(master, 'session.logout', [ref], { timeoutMs: 5_000 }).catch(() => undefined);
      throw e;
    }
  }

  private remember(u: URL): void {
    this.candidates.set(hostKey(u), u);
  }

  private async login(): Promise<string> {
    // the current master first, then every other known host
    const order = [this.masterUrl, ...[...this.candidates.values()].filter((u) => hostKey(u) !== hostKey(this.masterUrl))];
    let lastError: unknown;
    for (const url of order) {
      try {
        return await this.loginAt(url, MAX_REDIRECTS);
      } catch (e) {
        if (!(e instanceof XapiTransportError) || !e.retryable) throw e;
        lastError = e;
      }
    }
    throw lastError;
  }

  private async loginAt(url: URL, redirects: number): Promise<string> {
    const { username, password, originator, timeoutMs } = this.settings;
    try {
      const ref = await this.transport.call(url, 'session.login_with_password', [username, password, '1.0', originator], { timeoutMs });
      if (typeof ref !== 'string' || ref === '') throw new XapiTransportError('protocol', 'login returned no session', 'session.login_with_password');
      this.masterUrl = url;
      this.remember(url);
      return ref;
    } catch (e) {
      if (e instanceof XapiError && e.code === 'HOST_IS_SLAVE' && e.params[0] && redirects > 0) {
        return this.loginAt(urlForHost(url, e.params[0]), redirects - 1);
      }
      throw e;
    }
  }
}
