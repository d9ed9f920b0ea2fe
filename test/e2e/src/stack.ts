import { randomBytes } from 'node:crypto';
import {
  createTestDatabase,
  eventually,
  poolCensus,
  startProcess,
  startSimProcess,
  testRedisPrefix,
  untilReady,
  type ManagedProcess,
  type SimProcess,
  type TestDatabase,
} from '@xenplane/testing';

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
export async function startStack(simEnv: Record<string, string> = {}, extraEnv: Record<string, string> = {}): Promise<Stack> {
  const db = await createTestDatabase();
  const sim = await startSimProcess({ SIM_HOSTS: '2', ...simEnv }).catch(async (err: unknown) => {
    await db.drop();
    throw err;
  });
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: testRedisPrefix(),
    BOOTSTRAP_OPERATOR_TOKEN: OPERATOR_TOKEN,
    BILLING_CURRENCY: 'EUR',
    XAPI_URL: sim.url,
    XAPI_USERNAME: 'root',
    XAPI_PASSWORD: 'xenroot',
    LOG_LEVEL: 'info',
    OUTBOX_POLL_MS: '200',
    POOL_SYNC_INTERVAL_MS: '1000',
    RECONCILE_CLAIM_INTERVAL_MS: '500',
    // The tests poll hard; rate limiting has its own tests.
    RATE_LIMIT_PER_MINUTE: '1000000',
    POOL_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    USER_DATA_KEY: randomBytes(32).toString('base64'),
    ...extraEnv,
  };
  const api = startProcess('apps/api/dist/main.js', { ...env, PORT: '0', HOST: '127.0.0.1' }, 'api');
  const worker = startProcess('apps/worker/dist/main.js', { ...env, WORKER_PORT: '0', WORKER_HOST: '127.0.0.1' }, 'worker');
  const [apiReady, workerReady] = await Promise.all([
    untilReady(api, (l) => l.msg === 'api listening'),
    untilReady(worker, (l) => l.msg === 'worker listening'),
  ]).catch(async (err: unknown) => {
    // Nothing half-started outlives a failed start: the test file could never exit.
    await Promise.all([api.stop('SIGKILL'), worker.stop('SIGKILL'), sim.stop('SIGKILL')]);
    await db.drop();
    throw err;
  });
  return {
    db,
    sim,
    env,
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
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* plain text (metrics) */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
}

/** The checks every durability test ends with: one XAPI VM per running row, nothing half-made or leaked. */
/** Every VM status as a query: lists leave deleted VMs out unless asked for them, and these checks want all rows. */
export const EVERY_VM_STATUS = ['pending', 'provisioning', 'running', 'stopped', 'deleting', 'deleted', 'error'].map((s) => `status=${s}`).join('&');

export async function assertConsistent(stack: Stack, tenantIds: string[], looseVdisBefore: number): Promise<void> {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const census = await poolCensus(stack.sim.url);
  const live = new Set<string>();
  for (const tenantId of tenantIds) {
    const vms = (await op('GET', `/v1/vms?tenantId=${tenantId}&limit=500&${EVERY_VM_STATUS}`)).body.items as {
      id: string;
      status: string;
      xapiUuid: string;
    }[];
    for (const vm of vms) {
      const copies = census.byId.get(vm.id) ?? [];
      if (vm.status === 'running' || vm.status === 'stopped') {
        if (copies.length !== 1) throw new Error(`VM ${vm.id} (${vm.status}) exists ${copies.length} times in XAPI`);
        live.add(vm.id);
      } else if (copies.length !== 0) {
        throw new Error(`VM ${vm.id} is ${vm.status} but XAPI still holds it`);
      }
    }
    const recount = await op('POST', `/v1/tenants/${tenantId}/quota/recount`);
    const drift = Object.values(recount.body.drift ?? {}).filter((n) => n !== 0);
    if (recount.status !== 200 || drift.length) throw new Error(`quota drift for ${tenantId}: ${JSON.stringify(recount.body)}`);
  }
  for (const v of census.tagged)
    if (!live.has(v.other_config['xenplane-vm-id'])) throw new Error(`XAPI VM ${v.uuid} carries our tag without a live row`);
  if (census.markers.length)
    throw new Error(`${census.markers.length} half-made clones left: ${census.markers.map((v) => `${v.name_label} (${v.uuid})`).join(', ')}`);
  if (census.looseVdis.length !== looseVdisBefore) throw new Error(`${census.looseVdis.length - looseVdisBefore} disks leaked`);
}

/** The operation once it has ended (succeeded or failed), polled as a tenant polls it. */
export function operationSettled(me: ReturnType<typeof client>, opId: string, timeoutMs = 60_000): Promise<{ status: string; [k: string]: unknown }> {
  return eventually(
    `operation ${opId}`,
    async () => {
      const r = (await me('GET', `/v1/operations/${opId}`)).body as { status: string };
      return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
    },
    timeoutMs,
  );
}
