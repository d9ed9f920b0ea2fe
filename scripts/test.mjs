// Runs the compiled test files with node's test runner: `node scripts/test.mjs [unit|int|e2e] [name-filter ...]` (any filter matches).
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import net from 'node:net';

const root = new URL('..', import.meta.url).pathname;
const kinds = { unit: /\.spec\.js$/, int: /\.int-spec\.js$/, e2e: /\.e2e-spec\.js$/ };
const [kindArg, ...rest] = process.argv.slice(2);
const wanted = kindArg && kinds[kindArg] ? [kinds[kindArg]] : Object.values(kinds);
const nameFilters = kindArg && !kinds[kindArg] ? [kindArg, ...rest] : rest;

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.includes('/dist/') && wanted.some((re) => re.test(name))) out.push(p);
  }
  return out;
}

const files = ['apps', 'libs', 'migrations', 'test']
  .flatMap((d) => walk(join(root, d), []))
  .filter((f) => nameFilters.length === 0 || nameFilters.some((n) => f.includes(n)))
  .sort();
if (files.length === 0) {
  console.error('no test files found (did `npm run build` run?)');
  process.exit(1);
}

function reachable(url, fallbackPort) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect({ host: u.hostname, port: Number(u.port || fallbackPort) });
    s.setTimeout(2000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

const needsServices = files.some((f) => !kinds.unit.test(f) || /int-spec|e2e-spec/.test(f));
if (needsServices) {
  const pg = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/xenplane';
  const redis = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const missing = [];
  if (!(await reachable(pg, 5432)))
    missing.push(`PostgreSQL at ${new URL(pg).host} (start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)`);
  if (!(await reachable(redis, 6379)))
    missing.push(`Redis at ${new URL(redis).host} (start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no)`);
  if (missing.length) {
    console.error(`The test suite needs running services; unreachable:\n  - ${missing.join('\n  - ')}`);
    process.exit(2);
  }
}

// End-to-end files start several processes each, with their own database pools: run them one at a time so
// that the suite stays inside a stock Postgres's 100 connections; everything else runs two files at a time.
const phases = [
  { files: files.filter((f) => !kinds.e2e.test(f)), concurrency: 2 },
  { files: files.filter((f) => kinds.e2e.test(f)), concurrency: 1 },
].filter((p) => p.files.length > 0);

function runPhase({ files: phaseFiles, concurrency }) {
  return new Promise((resolve) => {
    const args = ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, ...phaseFiles.map((f) => relative(root, f))];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const counts = { pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
    let buf = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const m = /^# (pass|fail|cancelled|skipped|todo) (\d+)$/.exec(buf.slice(0, i));
        if (m) counts[m[1]] = Number(m[2]);
        buf = buf.slice(i + 1);
      }
    });
    child.on('exit', (code, signal) => resolve({ ...counts, code: code ?? (signal ? 1 : 0) }));
  });
}

console.log(`running ${files.length} test files`);
let passed = 0;
let failed = 0;
let skipped = 0;
let exitCode = 0;
for (const phase of phases) {
  const r = await runPhase(phase);
  passed += r.pass;
  // A test cancelled by a failing before() hook proved nothing: it counts against the run.
  failed += r.fail + r.cancelled;
  skipped += r.skipped + r.todo;
  if (r.code !== 0) exitCode = r.code;
}
// In CI every suite is required (root, OVS, the Python client, promtool, the reference files): a skip is a failure.
const skipsFail = process.env.CI === 'true' && skipped > 0;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped${skipsFail ? ' (CI=true: skipped tests fail the run)' : ''}`);
process.exit(exitCode || (failed > 0 || skipsFail ? 1 : 0));
