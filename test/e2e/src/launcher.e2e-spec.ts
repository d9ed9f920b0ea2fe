// `npm start` (scripts/start.mjs) and docker-compose.yml with respect to the operator token (issue 11).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  TEST_USER_DATA_KEY,
  createTestDatabase,
  eventually,
  freePort,
  repoRoot,
  startProcess,
  testRedisPrefix,
  type TestDatabase,
} from '@xenplane/testing';
import { readCompose } from './deploy/compose-replay.js';

const dbs: TestDatabase[] = [];
after(async () => {
  await Promise.all(dbs.map((d) => d.drop()));
});

/** Runs the launcher until the API answers, and returns everything it printed and the API's address. */
// `on`: a database an earlier launch used (a restart), else a fresh one; `extraEnv` beside the test's own.
async function launch(
  token: string | undefined,
  opts: { on?: TestDatabase; extraEnv?: Record<string, string> } = {},
): Promise<{ output: string; api: string; db: TestDatabase; stop: () => Promise<unknown> }> {
  const db = opts.on ?? (await createTestDatabase());
  if (!opts.on) dbs.push(db);
  const [port, simPort, workerPort] = [await freePort(), await freePort(), await freePort()];
  // the simulator keeps its pool in SIM_DATA_DIR (default: the repository's data folder, a developer's own pool)
  const dataDir = mkdtempSync(join(tmpdir(), 'launcher-sim-'));
  const proc = startProcess(
    'scripts/start.mjs',
    {
      SIM_DATA_DIR: dataDir,
      // given, so that the launcher keeps no key file in the repository's data folder
      USER_DATA_KEY: Buffer.alloc(32, 3).toString('base64'),
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: testRedisPrefix(),
      LOG_LEVEL: 'info',
      PORT: String(port),
      HOST: '127.0.0.1',
      SIM_PORT: String(simPort),
      WORKER_PORT: String(workerPort),
      WORKER_HOST: '127.0.0.1',
      ...(token ? { BOOTSTRAP_OPERATOR_TOKEN: token } : {}),
      ...opts.extraEnv,
    },
    'launcher',
  );
  const stop = () => proc.stop('SIGTERM', 20_000).finally(() => rmSync(dataDir, { recursive: true, force: true }));
  try {
    await Promise.all([proc.waitForLog((l) => l.msg === 'api listening', 60_000), proc.waitForLog((l) => l.msg === 'worker listening', 60_000)]);
    // The banner follows once both answer.
    await eventually('the banner', async () => (proc.logs.some((l) => l.includes('operator token')) ? true : undefined), 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { output: proc.logs.join('\n'), api: `http://127.0.0.1:${port}`, db, stop };
}

test('npm start never prints an operator token it was given, and the token works', async () => {
  const token = `given-${randomBytes(12).toString('hex')}`;
  const run = await launch(token);
  try {
    assert.ok(!run.output.includes(token), 'the given token is not in the output');
    assert.match(run.output, /BOOTSTRAP_OPERATOR_TOKEN you set \(not shown\)/);
    const r = await fetch(`${run.api}/v1/tenants`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200);
  } finally {
    await run.stop();
  }
});

test('npm start prints the demo token it made itself, once, and that token works', async () => {
  const run = await launch(undefined);
  try {
    const printed = /demo operator token: (demo-[0-9a-f]{32})/.exec(run.output)?.[1];
    assert.ok(printed, run.output.slice(-2000));
    const r = await fetch(`${run.api}/v1/tenants`, { headers: { authorization: `Bearer ${printed}` } });
    assert.equal(r.status, 200);
  } finally {
    await run.stop();
  }
});

test("npm start ends its start-up output with the URL and the token, with Nest's route mapping at debug only", async () => {
  const run = await launch(undefined);
  try {
    const lines = run.output.split('\n').filter((l) => l.trim() !== '');
    assert.match(lines.at(-1)!, /try: curl -H "Authorization: Bearer demo-[0-9a-f]{32}" http:\/\/127\.0\.0\.1:\d+\/v1\/tenants/);
    assert.match(lines.at(-2)!, /demo operator token: demo-/);
    assert.match(lines.at(-3)!, /xenplane is up: API http:\/\/127\.0\.0\.1:\d+/);
    // A demo bills in EUR unless told otherwise, and says so; the API took it (the price list is in it).
    assert.match(lines.at(-3)!, /billing in EUR \(set BILLING_CURRENCY to change it\)$/);
    const token = /demo operator token: (demo-[0-9a-f]{32})/.exec(run.output)![1];
    const prices = await fetch(`${run.api}/v1/prices`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(((await prices.json()) as { currency: string }).currency, 'EUR');
    assert.doesNotMatch(run.output, /RouterExplorer|RoutesResolver|InstanceLoader|Mapped \{/, 'framework noise at info');
  } finally {
    await run.stop();
  }
});

test(
  'npm start reads .env when present; the environment wins over it and empty values are unset',
  { skip: existsSync(join(repoRoot, '.env')) && 'a .env of your own is here' },
  async () => {
    const token = `from-env-file-${randomBytes(8).toString('hex')}`;
    writeFileSync(join(repoRoot, '.env'), `# test\nBOOTSTRAP_OPERATOR_TOKEN=${token}\nLOG_LEVEL=debug\nRATE_LIMIT_BURST=\nBILLING_CURRENCY=CHF\n`);
    try {
      const run = await launch(undefined, { extraEnv: { LOG_LEVEL: 'info' } });
      try {
        assert.match(run.output, /BOOTSTRAP_OPERATOR_TOKEN you set \(not shown\)/);
        assert.match(run.output, /billing in CHF\n/, "the .env's currency, without the hint");
        assert.equal((await fetch(`${run.api}/v1/tenants`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
        assert.doesNotMatch(run.output, /"level":20/, 'LOG_LEVEL from the environment won over .env');
      } finally {
        await run.stop();
      }
    } finally {
      rmSync(join(repoRoot, '.env'), { force: true });
    }
  },
);

test('docker-compose.yml publishes nothing beyond this machine, and gives the worker its whole shutdown grace', () => {
  const services = readCompose(join(repoRoot, 'docker-compose.yml'), {
    BOOTSTRAP_OPERATOR_TOKEN: 'compose-check-token-0123456789',
    USER_DATA_KEY: TEST_USER_DATA_KEY,
  });
  for (const s of services) for (const p of s.ports) assert.match(p, /^127\.0\.0\.1:/, `${s.name} publishes ${p} on every interface`);
  const worker = services.find((s) => s.name === 'worker')!;
  const grace = Number(worker.environment.SHUTDOWN_GRACE_MS ?? 120_000);
  const period = /^(\d+)s$/.exec(worker.stopGracePeriod ?? '');
  assert.ok(period, `stop_grace_period ${worker.stopGracePeriod} in seconds`);
  assert.ok(Number(period[1]) * 1000 > grace, `stop_grace_period ${worker.stopGracePeriod} must exceed SHUTDOWN_GRACE_MS ${grace}`);
});

test('the demo token is kept with the database: a restart on the same database prints and accepts the same one', async () => {
  const demo = (output: string) => /demo operator token: (demo-[0-9a-f]{32})/.exec(output)?.[1];
  const first = await launch(undefined);
  const token = demo(first.output);
  await first.stop();
  assert.ok(token, first.output.slice(-2000));
  const again = await launch(undefined, { on: first.db });
  try {
    assert.equal(demo(again.output), token);
    const r = await fetch(`${again.api}/v1/tenants`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200);
  } finally {
    await again.stop();
  }
  const elsewhere = await launch(undefined);
  try {
    assert.notEqual(demo(elsewhere.output), token, 'another database, another token');
  } finally {
    await elsewhere.stop();
  }
});

test('docker-compose.yml requires BOOTSTRAP_OPERATOR_TOKEN rather than defaulting it', () => {
  const compose = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
  const lines = compose.split('\n').filter((l) => l.includes('BOOTSTRAP_OPERATOR_TOKEN') && !l.trim().startsWith('#'));
  assert.ok(lines.length > 0);
  for (const l of lines) assert.match(l, /\$\{BOOTSTRAP_OPERATOR_TOKEN:\?[^}]+\}/, l);
});
