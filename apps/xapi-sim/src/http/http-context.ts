// What xapi's HTTP handlers share (ocaml/xapi/xapi_http.ml, ocaml/libs/http-lib/http_svr.ml): parameters from the
// query or a cookie, credentials (session_id, Basic auth), the task a handler reports to, and the error pages.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Value } from '../datamodel/defaults.js';
import { createSession, destroySession, validateSession } from '../rpc/sessions.js';
import { XapiError } from '../rpc/xapi-error.js';
import type { SimState } from '../sim/sim-state.js';
import { EPOCH, nowXapiDate } from '../util/xapi-time.js';

export class HttpParams {
  private readonly query: URLSearchParams;
  private readonly cookies = new Map<string, string>();

  constructor(req: IncomingMessage) {
    this.query = new URL(req.url ?? '/', 'http://sim').searchParams;
    for (const part of String(req.headers.cookie ?? '').split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0) this.cookies.set(part.slice(0, eq).trim(), decodeURIComponent(part.slice(eq + 1).trim()));
    }
  }

  // Xapi_http.lookup_param_of_req: a cookie wins over the query.
  get(name: string): string | undefined {
    return this.cookies.get(name) ?? this.query.get(name) ?? undefined;
  }

  has(name: string): boolean {
    return this.cookies.has(name) || this.query.has(name);
  }
}

function page(res: ServerResponse, status: number, reason: string, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, reason, {
    'content-type': 'text/html',
    connection: 'close',
    'cache-control': 'no-cache, no-store',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

// Http.http_401_unauthorised / http_500_internal_server_error bodies (also written raw on taken-over connections).
export const unauthorisedBody = '<html><body><h1>HTTP 401 unauthorised</h1>Please check your credentials and retry.</body></html>';
export const internalErrorBody = (extra: string) =>
  `<html><body><h1>HTTP 500 internal server error</h1>An unexpected error occurred; please wait a while and try again. If the problem persists, please contact your support representative.<h1> Additional information </h1>${extra.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`)}</body></html>`;
export const basicRealm = (realm: string) => `Basic realm="${realm}"`;

export const unauthorised = (res: ServerResponse, realm: string) =>
  page(res, 401, 'Unauthorised', unauthorisedBody, { 'www-authenticate': basicRealm(realm) });
export const internalError = (res: ServerResponse, extra: string) => page(res, 500, 'Internal Error', internalErrorBody(extra));

// Http.http_404_missing / http_400_badrequest: headers only, then the connection closes.
export function bareStatus(res: ServerResponse, status: 400 | 404): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, status === 404 ? 'Not Found' : 'Bad Request', {
    connection: 'close',
    'cache-control': 'no-cache, no-store',
    'content-length': 0,
  });
  res.end();
  res.once('finish', () => res.socket?.destroySoon());
}

export class Unauthorised extends Error {}

/** The session the request acts as: session_id, else HTTP Basic credentials (a session logged out afterwards). */
export function authenticate(sim: SimState, req: IncomingMessage, params: HttpParams): { session: string; release(): void } {
  const ref = params.get('session_id');
  if (ref !== undefined) {
    try {
      return { session: validateSession(sim, ref), release: () => undefined };
    } catch {
      throw new Unauthorised();
    }
  }
  const basic = /^Basic\s+(.+)$/i.exec(String(req.headers.authorization ?? ''));
  const [user, ...rest] = basic ? Buffer.from(basic[1], 'base64').toString('utf8').split(':') : [];
  if (!basic || user !== sim.options.username || rest.join(':') !== sim.options.password) throw new Unauthorised();
  const session = createSession(sim, user, 'HTTP client using Basic auth');
  return { session, release: () => destroySession(sim, session) };
}

/** xapi_http.ml with_context: the handler runs as the caller (401 with `realm` otherwise); a Basic-auth session ends with it. */
export async function withContext(
  sim: SimState,
  req: IncomingMessage,
  res: ServerResponse,
  realm: string,
  run: (params: HttpParams) => Promise<void>,
): Promise<void> {
  const params = new HttpParams(req);
  let auth: ReturnType<typeof authenticate>;
  try {
    auth = authenticate(sim, req, params);
  } catch (e) {
    if (e instanceof Unauthorised) return unauthorised(res, realm);
    throw e;
  }
  try {
    await run(params);
  } finally {
    auth.release();
  }
}

/** The task_id the client gave (its progress and outcome land there), or a new one named after the handler. */
export function handlerTask(sim: SimState, params: HttpParams, label: string): string {
  const given = params.get('task_id');
  if (given !== undefined) {
    if (!sim.store.get('task', given)) throw new XapiError('HANDLE_INVALID', ['task', given]);
    return given;
  }
  return sim.store.create('task', {
    name_label: label,
    status: 'pending',
    created: nowXapiDate(),
    finished: EPOCH,
    progress: 0,
    resident_on: sim.masterRef(),
    type: '<none/>',
    result: '',
    error_info: [],
    allowed_operations: ['cancel'],
    other_config: {},
    backtrace: '()',
  });
}

export function taskProgress(sim: SimState, task: string, progress: number): void {
  const t = sim.store.get('task', task);
  if (t && t.status === 'pending' && Number(t.progress) < progress) sim.store.update('task', task, { progress });
}

export function finishTask(sim: SimState, task: string, outcome: { result: string } | { error: string[] }): void {
  const t = sim.store.get('task', task);
  if (!t || t.status !== 'pending') return;
  const patch: Record<string, Value> =
    'result' in outcome ? { status: 'success', result: outcome.result } : { status: 'failure', error_info: outcome.error };
  sim.store.update('task', task, { ...patch, progress: 1, finished: nowXapiDate(), allowed_operations: [] });
}

export function errorOf(e: unknown): string[] {
  return e instanceof XapiError ? e.description : ['INTERNAL_ERROR', String((e as Error)?.message ?? e)];
}

/** Throttled progress from bytes done out of `total` (known only with a Content-Length). */
export function progressMeter(sim: SimState, task: string, total: number | undefined): (done: number) => void {
  let shown = 0;
  return (done) => {
    if (!total) return;
    const p = Math.min(0.99, done / total);
    if (p - shown < 0.05) return;
    shown = p;
    taskProgress(sim, task, Math.round(p * 100) / 100);
  };
}
