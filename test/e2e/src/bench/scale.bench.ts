// Issue 20's scale bench: 20 registered pools (a simulator process each, 8 hosts), 1,000 tenants and 10,000 VMs
// made through the public API on zero-latency pools. Reports the time to make them, the worker's memory, the
// Postgres sessions and Redis clients of the API and the worker (bounded: none per pool), how long a restarted
// worker takes until every pool's watcher has folded its first full view (`xenplane_vm_watchers_synced`), and
// GET /v1/vms under 200 autocannon connections against the bare baseline. SCALE_* shrink it for a quick run.
import { Redis } from 'ioredis';
import pg from 'pg';
import { startProcess, startSimProcess, untilReady, type ManagedProcess, type SimProcess } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack } from '../stack.js';
import { memoryMiB, Peaks, pgSessions, redisClientsByPid, sessionsOf } from './census.js';
import { compare, emitComparison, requestStatements, startBareList } from './list-load.js';

const env = process.env;
const POOLS = Number(env.SCALE_POOLS ?? 20);
const TENANTS = Number(env.SCALE_TENANTS ?? 1000);
const VMS = Number(env.SCALE_VMS ?? 10_000);
// Creates are sent for 80% of the budget, then those accepted get the rest and 2 minutes more to run; what was
// reached is reported (this 2-core machine makes about 5 VMs/s, so 10,000 do not fit in the 15 minutes aimed at).
const BUDGET_MS = Number(env.SCALE_CREATE_BUDGET_S ?? 540) * 1000;
const SENDERS = 32; // concurrent POST /v1/vms clients
const FIRST_TENANT_VMS = 60; // one tenant with more than a page, for the list load
const WORKER_POOL_BOUND = 10 + 2; // the worker's pool (WORKER_DB_POOL_SIZE) + its lock and LISTEN sessions
const API_POOL_BOUND = 10 + 2;
const RESYNC_LIMIT_MS = Number(env.SCALE_RESYNC_LIMIT_S ?? 240) * 1000;
const bench = 'scale';
const emit = (r: Record<string, unknown>) => console.log(JSON.stringify({ bench, ...r }));
const say = (msg: string) => process.stderr.write(`scale: ${msg}\n`);
const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;

// Each SR holds every clone its pool gets (10 GiB each) with room to spare; the default 2 TiB holds about 200.
const simEnv = { SIM_HOSTS: '8', SIM_SR_GIB: String(Math.ceil((VMS / POOLS) * 1.5) * 10 + 1024) };
const stack = await startStack(simEnv, { WORKER_CONCURRENCY: '16', OUTBOX_POLL_MS: '50', POOL_SYNC_INTERVAL_MS: '5000' });
const sims: SimProcess[] = [];
const workers: ManagedProcess[] = [];
let bare: Awaited<ReturnType<typeof startBareList>> | undefined;
const db = new pg.Client({ connectionString: stack.db.url });
const redis = new Redis(redisUrl);
try {
  await db.connect();
  const redisPort = Number(new URL(redisUrl).port || 6379);
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const peaks = new Peaks();
  let worker: ManagedProcess & { url: string } = stack.worker;
  const census = async () => {
    const byApp = await pgSessions(db);
    const redisBy = await redisClientsByPid(redis, redisPort);
    const c = {
      apiPg: sessionsOf(byApp, 'xenplane-api'),
      workerPg: sessionsOf(byApp, 'xenplane-worker'),
      apiRedis: redisBy.get(stack.api.child.pid!) ?? 0,
      workerRedis: redisBy.get(worker.child.pid!) ?? 0,
    };
    for (const [k, v] of Object.entries(c)) peaks.see(k, v);
    peaks.see('workerRss', memoryMiB(worker.child.pid!).rss);
    return c;
  };
  const gauge = async (url: string, name: string) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  };
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 250) => {
    const deadline = performance.now() + timeoutMs;
    while (!(await check())) {
      if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  };

  // One pool registered (the stack's own): what the processes hold before there are more.
  await until('first pool watched', async () => (await gauge(worker.url, 'xenplane_vm_watchers_synced')) === 1, 60_000);
  const onePool = await census();

  say(`${elapsed()}: starting ${POOLS - 1} more simulators`);
  for (let i = 1; i < POOLS; i += 5) sims.push(...(await Promise.all(Array.from({ length: Math.min(5, POOLS - i) }, () => startSimProcess(simEnv)))));
  const poolIds = [(await op('GET', '/v1/pools')).body.items[0].id as string];
  for (const [i, sim] of sims.entries()) {
    const r = await op('POST', '/v1/pools', { name: `scale-${i + 1}`, url: sim.url, username: 'root', password: 'xenroot' });
    if (r.status !== 201) throw new Error(`register pool: ${r.status} ${JSON.stringify(r.body)}`);
    poolIds.push(r.body.id as string);
  }
  // 500 one-vCPU VMs on 8 hosts of 16 CPUs is near the default 4 vCPUs per CPU: allow more, memory stays the bound.
  for (const id of poolIds) await op('PATCH', `/v1/pools/${id}`, { cpuAllocationRatio: 8 });
  await until('every pool watched and synchronised', async () => (await gauge(worker.url, 'xenplane_vm_watchers_synced')) === POOLS, 120_000);
  await until(
    'every pool connected',
    async () => ((await op('GET', '/v1/pools?limit=100')).body.items as { status: string }[]).every((p) => p.status === 'connected'),
    120_000,
  );
  const allPools = await census();
  say(`${elapsed()}: ${POOLS} pools connected; census ${JSON.stringify({ onePool, allPools })}`);
  // Redis clients are made at start, so any per pool would show as growth; Postgres pools open sessions lazily as
  // passes run at once (the 20 pools' syncs fill the worker's), so those are held to their bound instead.
  const perPool = (key: 'workerRedis' | 'apiRedis', label: string) =>
    emit({
      metric: `${label}, ${POOLS} pools vs 1 (idle, watchers synchronised)`,
      value: allPools[key],
      unit: 'connections',
      baseline: onePool[key],
      ratio: allPools[key] / Math.max(1, onePool[key]),
      goal: '<=1', // no connection per pool
    });
  const bounded = (key: 'workerPg' | 'apiPg', label: string, bound: number) =>
    emit({ metric: `${label}, ${POOLS} pools (idle; ${onePool[key]} with 1)`, value: allPools[key], unit: 'connections', goal: `<=${bound}` });
  bounded('workerPg', 'worker Postgres sessions', WORKER_POOL_BOUND);
  perPool('workerRedis', 'worker Redis clients');
  bounded('apiPg', 'API Postgres sessions', API_POOL_BOUND);
  perPool('apiRedis', 'API Redis clients');

  // Tenants, then VMs: tenant 0 gets a page and more, the rest share what is left.
  const flavor = (await op('POST', '/v1/flavors', { name: 'scale', vcpus: 1, memoryMiB: 256, diskGiB: 10 })).body.id as string;
  const image = (await op('POST', '/v1/images', { name: 'scale', template: 'Debian Bookworm 12' })).body.id as string;
  const quota = { vms: 1000, vcpus: 1000, memoryMiB: 1_000_000, diskGiB: 100_000 };
  const tenants: string[] = [];
  const tenantStart = performance.now();
  await pool(16, TENANTS, async (i) => {
    const r = await op('POST', '/v1/tenants', { name: `scale-${i}`, quota });
    if (r.status !== 201) throw new Error(`tenant: ${r.status} ${JSON.stringify(r.body)}`);
    tenants[i] = r.body.id as string;
  });
  emit({ metric: `tenants made through the API (${TENANTS})`, value: (performance.now() - tenantStart) / 1000, unit: 's' });
  const first = Math.min(FIRST_TENANT_VMS, VMS);
  const owner = (i: number) => (i < first ? 0 : 1 + ((i - first) % Math.max(1, TENANTS - 1)));

  say(`${elapsed()}: ${TENANTS} tenants; creating ${VMS} VMs with ${SENDERS} senders`);
  const refused = new Map<string, number>();
  const createStart = performance.now();
  const sendUntil = createStart + BUDGET_MS * 0.8;
  const deadline = createStart + BUDGET_MS + 120_000;
  const sampler = setInterval(() => void census().catch(() => undefined), 2000);
  let sent = 0;
  await pool(SENDERS, VMS, async (i) => {
    if (performance.now() > sendUntil) return;
    const r = await op('POST', `/v1/vms?tenantId=${tenants[owner(i)]}`, { name: `s${i}`, flavorId: flavor, imageId: image });
    sent++;
    if (r.status !== 202) refused.set(`${r.status} ${r.body?.code}`, (refused.get(`${r.status} ${r.body?.code}`) ?? 0) + 1);
  });
  const acceptedMs = performance.now() - createStart;
  const counts = async () => {
    const { rows } = await db.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM vms GROUP BY 1`);
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])) as Record<string, number>;
  };
  const accepted = sent - [...refused.values()].reduce((a, b) => a + b, 0);
  let last = await counts();
  let lastSay = 0;
  while ((last.running ?? 0) + (last.error ?? 0) < accepted && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    last = await counts();
    if (performance.now() - lastSay > 30_000) {
      lastSay = performance.now();
      say(`${elapsed()}: ${JSON.stringify(last)}`);
    }
  }
  clearInterval(sampler);
  const madeMs = performance.now() - createStart;
  const running = last.running ?? 0;
  say(
    `${elapsed()}: ${running} running of ${VMS} asked (${sent} sent, accepted in ${(acceptedMs / 1000).toFixed(0)} s); ${JSON.stringify(last)}; refused ${JSON.stringify([...refused])}`,
  );
  emit({
    metric: `VMs running, made through the API (of ${VMS} asked, ${TENANTS} tenants, ${POOLS} pools)`,
    value: running,
    unit: 'VMs',
    goal: `>=${VMS}`,
  });
  emit({ metric: `time to make them, first POST to last running (${BUDGET_MS / 1000} s budget)`, value: madeMs / 1000, unit: 's' });
  emit({ metric: 'VMs/s POST to running at scale', value: running / (madeMs / 1000), unit: '/s' });
  emit({ metric: 'POST /v1/vms accepted/s at scale', value: accepted / (acceptedMs / 1000), unit: '/s' });
  if (refused.size)
    emit({
      metric: `POST /v1/vms refused (${JSON.stringify([...refused])})`,
      value: [...refused.values()].reduce((a, b) => a + b, 0),
      unit: 'requests',
    });
  await census();
  emit({ metric: 'worker peak RSS while making them (sampled every 2 s)', value: peaks.get('workerRss'), unit: 'MiB' });
  emit({ metric: 'worker peak RSS since start (VmHWM)', value: memoryMiB(worker.child.pid!).peak, unit: 'MiB' });
  emit({
    metric: 'worker Postgres sessions, most seen under load',
    value: peaks.get('workerPg'),
    unit: 'connections',
    goal: `<=${WORKER_POOL_BOUND}`,
  });
  emit({ metric: 'API Postgres sessions, most seen under load', value: peaks.get('apiPg'), unit: 'connections', goal: `<=${API_POOL_BOUND}` });
  emit({ metric: 'worker Redis clients, most seen under load', value: peaks.get('workerRedis'), unit: 'connections' });
  emit({ metric: 'API Redis clients, most seen under load', value: peaks.get('apiRedis'), unit: 'connections' });

  // A worker restart: stopped (SIGTERM, then SIGKILL), a new one started; timed from its spawn until every pool's
  // watcher has taken its lock and folded the pool's first full view (hosts, VMs, guest metrics) into Postgres.
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    await worker.stop(signal);
    const spawned = performance.now();
    const next = startProcess('apps/worker/dist/main.js', { ...stack.env, WORKER_PORT: '0', WORKER_HOST: '127.0.0.1' }, `worker-${signal}`);
    workers.push(next);
    const ready = await untilReady(next, (l) => l.msg === 'worker listening');
    worker = Object.assign(next, { url: `http://127.0.0.1:${String(ready.port)}` });
    // Not within the limit is a finding, reported with how many pools got there; the next round is then skipped.
    const synced = await until(
      'every pool resynchronised',
      async () => (await gauge(worker.url, 'xenplane_vm_watchers_synced')) === POOLS,
      RESYNC_LIMIT_MS,
      100,
    )
      .then(() => POOLS)
      .catch(() => gauge(worker.url, 'xenplane_vm_watchers_synced'));
    const s = (performance.now() - spawned) / 1000;
    say(`${elapsed()}: after ${signal}, ${synced} of ${POOLS} pools resynchronised in ${s.toFixed(1)} s`);
    emit({
      metric: `worker restart (${signal}): new worker's spawn to all ${POOLS} pools resynchronised (${running} VMs${synced < POOLS ? `; only ${synced} by the ${RESYNC_LIMIT_MS / 1000} s limit` : ''})`,
      value: s,
      unit: 's',
      goal: '<60',
    });
    if (synced < POOLS) break;
  }
  const restarted = await census();
  emit({ metric: 'restarted worker: Postgres sessions', value: restarted.workerPg, unit: 'connections', goal: `<=${WORKER_POOL_BOUND}` });
  emit({ metric: 'restarted worker: Redis clients', value: restarted.workerRedis, unit: 'connections' });
  emit({ metric: 'restarted worker RSS once resynchronised', value: memoryMiB(worker.child.pid!).rss, unit: 'MiB' });

  // GET /v1/vms with 200 connections, tenant 0's page of 50, against the bare baseline on the same rows.
  const key = (await op('POST', `/v1/tenants/${tenants[0]}/api-keys`, { name: 'scale', role: 'member' })).body.token as string;
  const headers = { authorization: `Bearer ${key}` };
  const statements = await requestStatements(stack.env, '/v1/vms?limit=50', headers);
  bare = await startBareList(stack.db.url, statements);
  const r = await compare({ url: `${stack.api.url}/v1/vms?limit=50`, headers }, bare, 200, 8);
  emitComparison(bench, `GET /v1/vms (50 items) at scale, 200 connections,`, r, (line) => emit(line));
  say(`${elapsed()}: done`);
} finally {
  await bare?.stop();
  await redis.quit().catch(() => undefined);
  await db.end().catch(() => undefined);
  await Promise.all(workers.map((w) => w.stop()));
  await stack.stop();
  await Promise.all(sims.map((s) => s.stop()));
}

/** Runs `task(0..n-1)` with at most `width` at a time. */
async function pool(width: number, n: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}
