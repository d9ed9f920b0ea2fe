import { randomBytes } from 'node:crypto';
import { createTestDatabase, startProcess, startSimProcess, testRedisPrefix, type ManagedProcess, type SimProcess, type TestDatabase } from '@xenplane/testing';

export const OPERATOR_TOKEN = 'e2e-operator-token-0123456789abcdef';

export interface Stack {
  db: TestDatabase;
  sim: SimProcess;
  api: ManagedProcess & { url: string };
  worker: ManagedProcess & { url: string };
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** The real processes, as `npm start` runs them: simulator, API and worker on a fresh database. */
export async function startStack(simEnv: Record<string, string> = {}): Promise<Stack> {
  const db = await createTestDatabase();
  const sim = await startSimProcess({ SIM_HOSTS: '2', ...simEnv });
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: testRedisPrefix(),
    BOOTSTRAP_OPERATOR_TOKEN: OPERATOR_TOKEN,
    XAPI_URL: sim.url,
    XAPI_USERNAME: 'root',
    XAPI_PASSWORD: 'xenroot',
    LOG_LEVEL: 'info',
    OUTBOX_POLL_MS: '200',
    POOL_SYNC_INTERVAL_MS: '1000',
    POOL_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
  const api = startProcess('apps/api/dist/main.js', { ...env, PORT: '0', HOST: '127.0.0.1' }, 'api');
  const worker = startProcess('apps/worker/dist/main.js', { ...env, WORKER_PORT: '0', WORKER_HOST: '127.0.0.1' }, 'worker');
  const [apiReady, workerReady] = await Promise.all([
    api.waitForLog((l) => l.msg === 'api listening'),
    worker.waitForLog((l) => l.msg === 'worker listening'),
  ]);
  return {
    db, sim, env,
    api: Object.assign(api, { url: `http://127.0.0.1:${String(apiReady.port)}` }),
    worker: Object.assign(worker, { url: `http://127.0.0.1:${String(workerReady.port)}` }),
    async stop() {
      await Promise.all([api.stop(), worker.stop()]);
      await sim.stop();
      await db.drop();
    },
  };
}

/** A JSON HTTP client for the public API. */
export function client(baseUrl: string, token: string | null) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { /* plain text (metrics) */ }
    return { status: res.status, body: parsed, headers: res.headers };
  };
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** A minimal JSON-RPC client of its own, so the checks on the pool do not trust our driver. */
export async function xapi(simUrl: string) {
  let id = 0;
  const rpc = async (method: string, params: unknown[]) => {
    const res = await fetch(`${simUrl}/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', method, params, id: ++id }) });
    const body = (await res.json()) as { result?: unknown; error?: { message: string; data: unknown[] } };
    if (body.error) throw new Error(`${body.error.message} ${JSON.stringify(body.error.data)}`);
    return body.result as any;
  };
  const session = await rpc('session.login_with_password', ['root', 'xenroot', '1.0', 'e2e']);
  return (method: string, ...params: unknown[]) => rpc(method, [session, ...params]);
}
