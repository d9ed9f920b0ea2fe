import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { ApiError, problemOf } from './errors.js';
import type { paths } from './schema.js';

export type { paths, components } from './schema.js';

export interface ClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** An API key (sent as `Authorization: Bearer`). */
  token?: string | null;
  /** Sent as `Idempotency-Key` on every POST/PUT/PATCH/DELETE without one: `true` draws a fresh UUID per request. */
  idempotency?: boolean;
  fetch?: typeof fetch;
}

export interface SendOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | string[] | undefined>;
  idempotencyKey?: string;
}

export type XenplaneClient = Client<paths> & {
  readonly baseUrl: string;
  /** One call by method and concrete path, for callers that pick the route at run time (the CLI's generic verbs). */
  send<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, options?: SendOptions): Promise<T>;
};

const CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
// Web Crypto, not node:crypto: the web console runs this client in the browser.
const randomUUID = () => globalThis.crypto.randomUUID();

/**
 * A typed client for the xenplane API. Every non-2xx answer throws an `ApiError` (from its problem+json), so a
 * caller's `data` is always the success body.
 */
export function createXenplaneClient(options: ClientOptions): XenplaneClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const client = createClient<paths>({ baseUrl, fetch: options.fetch });
  const auth: Middleware = {
    onRequest({ request }) {
      if (options.token) request.headers.set('authorization', `Bearer ${options.token}`);
      if (options.idempotency && CHANGING.has(request.method) && !request.headers.has('idempotency-key'))
        request.headers.set('idempotency-key', randomUUID());
      return request;
    },
    async onResponse({ response }) {
      if (!response.ok) throw await problemOf(response);
      return response;
    },
  };
  client.use(auth);
  const send = async <T>(method: string, path: string, opts: SendOptions = {}): Promise<T> => {
    const init = {
      body: opts.body,
      params: { query: opts.query },
      headers: opts.idempotencyKey ? idempotencyKey(opts.idempotencyKey) : undefined,
    };
    const result = (await client.request(method.toLowerCase() as never, path as never, init as never)) as { data?: T };
    return result.data as T;
  };
  return Object.assign(client, { baseUrl, send });
}

/** Headers carrying a caller-chosen `Idempotency-Key`, for one request: `{ headers: idempotencyKey(k) }`. */
export function idempotencyKey(key: string = randomUUID()): Record<string, string> {
  return { 'idempotency-key': key };
}

/** The body of a call, unwrapped: the middleware already threw on an error answer. */
export function must<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) throw new ApiError(result.response.status, { detail: 'empty answer' });
  return result.data;
}
