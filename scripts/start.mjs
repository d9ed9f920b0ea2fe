// `npm start`: the embedded default. Migrates, then runs the XAPI simulator, the API and a worker together.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseEnv } from 'node:util';
import pg from 'pg';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const env = { ...process.env };
// A `.env` beside package.json (a copy of .env.example, edited): what the environment already sets wins, and an empty
// value is unset, as in .env.example.
const envFile = new URL('../.env', import.meta.url);
if (existsSync(envFile)) {
  for (const [k, v] of Object.entries(parseEnv(readFileSync(envFile, 'utf8')))) if (v !== '' && env[k] === undefined) env[k] = v;
}
const simPort = env.SIM_PORT ?? '8090';
const simUser = env.SIM_USERNAME ?? 'root';
const simPass = env.SIM_PASSWORD ?? 'xenroot';
// The embedded pool is the simulator unless the operator points XAPI_URL at a real one.
env.XAPI_URL ??= `http://127.0.0.1:${simPort}`;
env.XAPI_USERNAME ??= simUser;
env.XAPI_PASSWORD ??= simPass;
// A token the operator gave is theirs and never printed (logs and terminals keep it); one made here is shown, once.
const givenToken = Boolean(env.BOOTSTRAP_OPERATOR_TOKEN);

// What the demo keeps with, or reads from, the database: its token (launcher_state, so every restart on the same
// database uses the same one) and the currency its prices are already in, if any.
async function fromDatabase(url, { token }) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    let demo;
    if (token) {
      const made = `demo-${randomBytes(16).toString('hex')}`;
      await client.query(`INSERT INTO launcher_state (id, demo_operator_token) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, [made]);
      demo = (await client.query(`SELECT demo_operator_token FROM launcher_state WHERE id = 1`)).rows[0].demo_operator_token;
    }
    const priced = await client.query(`SELECT DISTINCT currency FROM price_versions WHERE id <> 1 AND currency IS NOT NULL`);
    return { demo, pricedIn: priced.rows.length === 1 ? priced.rows[0].currency : undefined };
  } finally {
    await client.end();
  }
}
// User-data sealed under one key must open after a restart: a key made here is kept beside the simulator's data.
if (!env.USER_DATA_KEY) {
  const keyFile = join(root, 'data', 'user-data.key');
  if (!existsSync(keyFile)) {
    mkdirSync(dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  env.USER_DATA_KEY = readFileSync(keyFile, 'utf8').trim();
}

// The V8 flags every process runs with, here as in the Dockerfile and docker-compose.yml (docs/ARCHITECTURE.md, "Memory").
const nodeFlags = JSON.parse(readFileSync(join(root, 'scripts', 'node-flags.json'), 'utf8'));

const children = [];
let stopping = false;

function run(name, entry, extraEnv = {}) {
  const child = spawn(process.execPath, [...nodeFlags, entry], {
    cwd: root,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.name = name;
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(JSON.stringify({ level: 'error', service: 'launcher', msg: `${name} exited`, code, signal }));
      shutdown(code || 1);
    }
  });
  children.push(child);
  return child;
}

function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  const force = setTimeout(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')), 15_000);
  Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r))))).then(() => {
    clearTimeout(force);
    process.exit(code);
  });
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

const migrated = await new Promise((resolve) => {
  const m = spawn(process.execPath, [...nodeFlags, 'migrations/dist/migrate.cli.js'], { cwd: root, env, stdio: 'inherit' });
  m.on('exit', (code) => resolve(code === 0));
});
if (!migrated) process.exit(1);
const stored = await fromDatabase(env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/xenplane', { token: !givenToken });
const demoToken = env.BOOTSTRAP_OPERATOR_TOKEN || stored.demo;
env.BOOTSTRAP_OPERATOR_TOKEN = demoToken;
// A demo bills in something: BILLING_CURRENCY if set (environment or .env), else the prices' own, else EUR. Shown below.
const givenCurrency = Boolean(env.BILLING_CURRENCY);
env.BILLING_CURRENCY ||= stored.pricedIn ?? 'EUR';

const embeddedSim = env.XAPI_URL === `http://127.0.0.1:${simPort}`;
if (embeddedSim) run('xapi-sim', 'apps/xapi-sim/dist/main.js', { SIM_PORT: simPort, SIM_USERNAME: simUser, SIM_PASSWORD: simPass });
run('api', 'apps/api/dist/main.js');
run('worker', 'apps/worker/dist/main.js');

// The address and token come last, once the API and the worker answer, not lost among their start-up lines.
const port = env.PORT ?? '3000';
const local = (host) => (!host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
const live = async (url) => (await fetch(url).catch(() => null))?.ok === true;
const apiLive = `http://${local(env.HOST)}:${port}/health/live`;
const workerLive = `http://${local(env.WORKER_HOST)}:${env.WORKER_PORT ?? '3001'}/health/live`;
while (!stopping && !((await live(apiLive)) && (await live(workerLive)))) await new Promise((r) => setTimeout(r, 250));
if (stopping) await new Promise(() => undefined);
const shown = givenToken ? '$BOOTSTRAP_OPERATOR_TOKEN' : demoToken;
console.log(`
  xenplane is up: API http://127.0.0.1:${port} (docs at /docs)${embeddedSim ? `, simulated pool on :${simPort}` : ''}, billing in ${env.BILLING_CURRENCY}${givenCurrency ? '' : ' (set BILLING_CURRENCY to change it)'}
  ${givenToken ? 'operator token: the BOOTSTRAP_OPERATOR_TOKEN you set (not shown)' : `demo operator token: ${demoToken}`}
  try: curl -H "Authorization: Bearer ${shown}" http://127.0.0.1:${port}/v1/tenants
`);
