// Runs the compiled test files with node's test runner: `node scripts/test.mjs [unit|int|e2e] [name-filter]`.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import net from 'node:net';

const root = new URL('..', import.meta.url).pathname;
const kinds = { unit: /\.spec\.js$/, int: /\.int-spec\.js$/, e2e: /\.e2e-spec\.js$/ };
const [kindArg, filter] = process.argv.slice(2);
const wanted = kindArg && kinds[kindArg] ? [kinds[kindArg]] : Object.values(kinds);
const nameFilter = kindArg && !kinds[kindArg] ? kindArg : filter;

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.includes('/dist/') && wanted.some((re) => re.test(name))) out.push(p);
  }
  return out;
}

const files = ['apps', 'libs', 'migrations', 'test'].flatMap((d) => walk(join(root, d), []))
  .filter((f) => !nameFilter || f.includes(nameFilter)).sort();
if (files.length === 0) {
  console.error('no test files found (did `npm run build` run?)');
  process.exit(1);
}

function reachable(url, fallbackPort) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect({ host: u.hostname, port: Number(u.port || fallbackPort) });
    s.setTimeout(2000);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
    s.once('timeout', () => { s.destroy(); resolve(false); });
  });
}

const needsServices = files.some((f) => !kinds.unit.test(f) || /int-spec|e2e-spec/.test(f));
if (needsServices) {
  const pg = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/xenplane';
  const redis = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const missing = [];
  if (!(await reachable(pg, 5432))) missing.push(`PostgreSQL at ${new URL(pg).host} (start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)`);
  if (!(await reachable(redis, 6379))) missing.push(`Redis at ${new URL(redis).host} (start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no)`);
  if (missing.length) {
    console.error(`The test suite needs running services; unreachable:\n  - ${missing.join('\n  - ')}`);
    process.exit(2);
  }
}

console.log(`running ${files.length} test files`);
const args = ['--enable-source-maps', '--test', '--test-concurrency=2', ...files.map((f) => relative(root, f))];
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
