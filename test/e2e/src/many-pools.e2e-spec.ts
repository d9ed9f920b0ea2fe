import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import pg from 'pg';
import { eventually, type ManagedProcess, type SimProcess, startProcess, startSimProcess } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

// 20 registered pools: 6 answering (3 simulators, each registered twice), 7 refusing connections, 7 that accept a
// connection and never answer (a hung master). Before the fix each pool's watcher pinned one of the worker's ten
// pooled connections, so this many pools left nothing for the operations themselves.
const POOL_DB_MAX = 10; // the worker's pooled connections (WorkerModule)
const DEDICATED = 2; // its lock session and the one LISTEN connection every channel shares

let stack: Stack;
let sims: SimProcess[] = [];
let tarpit: net.Server;
const held: net.Socket[] = [];
let refusedPort: number;
let db: pg.Client;
let worker2: (ManagedProcess & { url: string }) | undefined;

before(async () => {
  tarpit = net.createServer((s) => {
    held.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => tarpit.listen(0, '127.0.0.1', r));
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  refusedPort = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  [stack, ...sims] = await Promise.all([startStack(), ...[1, 2, 3].map(() => startSimProcess({ SIM_HOSTS: '1' }))]);
  db = new pg.Client({ connectionString: stack.db.url });
  await db.connect();
});
after(async () => {
  await db?.end();
  await worker2?.stop();
  await stack?.stop();
  await Promise.all(sims.map((s) => s.stop()));
  for (const s of held) s.destroy();
  await new Promise<void>((r) => tarpit.close(() => r()));
});

/** Connections to the test database by application_name, and which backends hold advisory locks. */
async function census() {
  const { rows } = await db.query<{ app: string; n: string }>(
    `SELECT application_name AS app, count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1`,
  );
  const byApp = new Map(rows.map((r) => [r.app, Number(r.n)]));
  const { rows: watchers } = await db.query<{ pool: string; pid: number | null; app: string | null }>(
    `SELECT p.id AS pool, l.pid, a.application_name AS app FROM pools p
       LEFT JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended('vm-watch:' || p.id, 0)
       LEFT JOIN pg_stat_activity a ON a.pid = l.pid`,
  );
  return { byApp, watchers };
}

async function watcherGauge(url: string): Promise<number> {
  const text = (await client(url, null)('GET', '/metrics')).body as string;
  return Number(/^xenplane_vm_watchers (\d+)/m.exec(text)?.[1] ?? 0);
}

async function provision(tenantName: string, flavorId: string, imageId: string): Promise<number> {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const tenant = await op('POST', '/v1/tenants', { name: tenantName });
  const t = `?tenantId=${tenant.body.id}`;
  const started = Date.now();
  const created = await op('POST', `/v1/vms${t}`, { name: 'web', flavorId, imageId });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  // Alone, a VM runs within a second or two; a starved worker leaves it queued for good.
  await eventually(
    'VM running',
    async () => ((await op('GET', `/v1/vms/${created.body.vm.id}${t}`)).body.status === 'running' ? true : undefined),
    45_000,
  );
  return Date.now() - started;
}

test(
  '20 registered pools, reachable or not, cost the worker no connections: a VM still provisions, ownership moves on a worker death',
  { timeout: 240_000 },
  async () => {
    const op = client(stack.api.url, OPERATOR_TOKEN);
    const flavor = (await op('POST', '/v1/flavors', { name: 'small', vcpus: 1, memoryMiB: 512, diskGiB: 10 })).body;
    const image = (await op('POST', '/v1/images', { name: 'debian', template: 'Debian Bookworm 12' })).body;
    const urls = [
      ...sims.flatMap((s) => [s.url, s.url]),
      ...Array.from({ length: 7 }, () => `http://127.0.0.1:${refusedPort}`),
      ...Array.from({ length: 7 }, () => `http://127.0.0.1:${(tarpit.address() as net.AddressInfo).port}`),
    ];
    const ids: string[] = [];
    for (const [i, url] of urls.entries()) {
      const r = await op('POST', '/v1/pools', { name: `p-${i}`, url, username: 'root', password: 'xenroot' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      ids.push(r.body.id);
    }
    await eventually(
      'answering pools connected, refusing ones in error',
      async () => {
        const pools = await Promise.all(ids.map(async (id) => (await op('GET', `/v1/pools/${id}`)).body));
        return pools.slice(0, 6).every((p) => p.status === 'connected') && pools.slice(6, 13).every((p) => p.status === 'error') ? true : undefined;
      },
      60_000,
    );
    await eventually('every pool watched', async () => ((await watcherGauge(stack.worker.url)) === 21 ? true : undefined), 30_000);

    const ms = await provision('acme', flavor.id, image.id);
    assert.ok(ms < 45_000, `provisioned in ${ms} ms`);

    const { byApp, watchers } = await census();
    assert.ok((byApp.get('xenplane-worker') ?? 0) <= POOL_DB_MAX, JSON.stringify([...byApp]));
    const workerTotal = [...byApp].filter(([app]) => app.startsWith('xenplane-worker')).reduce((n, [, c]) => n + c, 0);
    assert.ok(workerTotal <= POOL_DB_MAX + DEDICATED, `the worker holds ${workerTotal} connections: ${JSON.stringify([...byApp])}`);
    // All 21 watchers are owned on one backend: the worker's lock session.
    assert.equal(watchers.length, 21);
    assert.deepEqual([...new Set(watchers.map((w) => w.app))], ['xenplane-worker-locks'], JSON.stringify(watchers));
    assert.equal(new Set(watchers.map((w) => w.pid)).size, 1, JSON.stringify(watchers));

    // A second worker, then the first dies: its session goes with it and the survivor takes every pool over.
    const p = startProcess('apps/worker/dist/main.js', { ...stack.env, WORKER_PORT: '0', WORKER_HOST: '127.0.0.1' }, 'worker-2');
    const ready = await p.waitForLog((l) => l.msg === 'worker listening');
    worker2 = Object.assign(p, { url: `http://127.0.0.1:${String(ready.port)}` });
    const firstPid = watchers[0].pid;
    await stack.worker.stop('SIGKILL');
    await eventually('takeover of every pool', async () => ((await watcherGauge(worker2!.url)) === 21 ? true : undefined), 30_000);
    const after = await census();
    assert.equal(new Set(after.watchers.map((w) => w.pid)).size, 1, JSON.stringify(after.watchers));
    assert.notEqual(after.watchers[0].pid, firstPid);
    await provision('globex', flavor.id, image.id);
  },
);
