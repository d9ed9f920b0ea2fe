/** One finished call, as reported to `XapiClientOptions.observer` (wire it to metrics). */
export interface XapiCallEvent {
  method: string;
  durationMs: number;
  error?: unknown;
}

/** Options of an XapiClient (one per pool). */
export interface XapiClientOptions {
  /** Pool master URL, e.g. `http://127.0.0.1:8090` or `https://pool-master` */
  url: string;
  username: string;
  password: string;
  /** Sent at login so XAPI accounts sessions to us; default `xenplane` */
  originator?: string;
  /** default `auto`: try `POST /jsonrpc`, a `text/xml` answer means XML-RPC at `/` */
  transport?: 'auto' | 'json-rpc' | 'xml-rpc';
  /** Per call (HTTP round trip), default 60 000 */
  callTimeoutMs?: number;
  /** Longest wait for an async task to finish, default 30 minutes; the task is cancelled on expiry */
  taskTimeoutMs?: number;
  /** Concurrent calls per pool, default 16 (event.from long polls are not counted) */
  maxConcurrency?: number;
  /** Known pool hosts (addresses or URLs) to fail over to when the master is unreachable */
  hostAddresses?: string[];
  /** Accept any TLS certificate (labs only; see `tls` to trust a self-signed one) */
  allowUnauthorized?: boolean;
  /** Trust for `https` pools other than the system roots: a CA (PEM), or the SHA-256 fingerprint of the certificate */
  tls?: { ca?: string; fingerprint256?: string };
  /**
   * Runs after every login with a caller on the new session, before any call uses it (e.g. to check the pool's
   * uuid is the one expected); a throw discards the session and fails the call that needed it with that error
   */
  afterLogin?: (call: (method: string, ...params: unknown[]) => Promise<unknown>) => Promise<void>;
  /** Called after every call (not for internal long polls) */
  observer?: (e: XapiCallEvent) => void;
  /** Interval of the task polling fallback, default 500 ms */
  taskPollIntervalMs?: number;
}

/** Per-call overrides for `XapiClient.callWith`. */
export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Bypass the concurrency limit (long polls that would otherwise starve ordinary calls) */
  unlimited?: boolean;
  /** Do not report to the observer */
  silent?: boolean;
}
