/** Options for one raw XAPI request. */
export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Sends one XAPI call to one host and returns the raw decoded result (not yet normalised by type).
 * Rejects with XapiError for a failure envelope, XapiTransportError otherwise.
 */
export interface XapiTransport {
  /** Wire format in use; `auto` transports report what they detected (undefined until the first answer). */
  readonly protocol: 'json-rpc' | 'xml-rpc' | undefined;
  call(base: URL, method: string, params: readonly unknown[], opts: RequestOptions): Promise<unknown>;
}

/** Resolves a path against the host's base URL, keeping any path prefix of the base (e.g. behind a proxy). */
export function endpoint(base: URL, path: '/jsonrpc' | '/'): URL {
  const u = new URL(base.href);
  u.pathname = u.pathname.replace(/\/+$/, '') + path;
  u.search = '';
  return u;
}
