// No Docker engine runs here, so the Dockerfile and docker-compose.yml are replayed: the image is built step by step
// from a clean copy of the build context, and compose's app services start from it as processes with compose's own
// environment (only its hostnames and ports are mapped to this machine).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  createTestDatabase,
  nodeFlags,
  repoRoot,
  startProcess,
  testRedisPrefix,
  untilReady,
  type ManagedProcess,
  type TestDatabase,
} from '@xenplane/testing';
import { interpolate, readCompose } from './deploy/compose-replay.js';
import { replayDockerfile, type ReplayedImage } from './deploy/dockerfile-replay.js';
import { client } from './stack.js';

let scratch: string;
let image: ReplayedImage;
let db: TestDatabase;
const running: ManagedProcess[] = [];
before(
  async () => {
    scratch = mkdtempSync(join(tmpdir(), 'xp-image-'));
    image = replayDockerfile(repoRoot, scratch);
    db = await createTestDatabase();
  },
  { timeout: 15 * 60_000 },
);
after(async () => {
  await Promise.all(running.map((p) => p.stop()));
  await db?.drop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

test('the image runs the API by default, with the V8 flags `npm start` uses, and ships no test code and no dev dependencies', () => {
  assert.deepEqual(image.cmd, ['node', ...nodeFlags, 'apps/api/dist/main.js']);
  const tests = [...files(image.dir)]
    .map((p) => relative(image.dir, p))
    .filter((p) => /\.(spec|int-spec|e2e-spec)\.js$|\/dist\/(testing|bench)\//.test(p));
  assert.deepEqual(tests, [], 'test code in the runtime image');
  // Dev dependencies are pruned (typescript stays: @nestjs/swagger has it as an optional peer).
  for (const dev of ['eslint', 'fast-check', 'typescript-eslint'])
    assert.throws(() => statSync(join(image.dir, 'node_modules', dev)), `${dev} is pruned`);
});

test('compose refuses to start without an operator token of its own', () => {
  assert.throws(() => interpolate('${BOOTSTRAP_OPERATOR_TOKEN:?set it}', {}), /BOOTSTRAP_OPERATOR_TOKEN/);
});

test("compose's app services start from the image in dependency order, with compose's environment", { timeout: 5 * 60_000 }, async () => {
  const services = readCompose(join(repoRoot, 'docker-compose.yml'), {
    BOOTSTRAP_OPERATOR_TOKEN: 'replay-operator-token-0123456789',
    USER_DATA_KEY: Buffer.alloc(32, 1).toString('base64'),
  });
  const apps = services.filter((s) => s.build !== undefined); // built from this repository, not postgres or redis
  const order: string[] = [];
  const visit = (name: string) => {
    if (order.includes(name)) return;
    Object.keys(services.find((s) => s.name === name)!.dependsOn).forEach(visit);
    order.push(name);
  };
  apps.forEach((s) => visit(s.name));
  const dbUrl = new URL(db.url);
  let simPort = '';
  const urls: Record<string, string> = {};
  for (const name of order) {
    const svc = apps.find((s) => s.name === name);
    if (!svc?.command) continue; // postgres and redis: this machine's own
    // Compose's hostnames are this machine; ports are chosen free so parallel runs never collide.
    const env = Object.fromEntries(
      Object.entries(svc.environment).map(([k, v]) => [
        k,
        v
          .replace(/postgres:\/\/[^@]+@postgres:5432\/\w+/, `postgres://postgres@${dbUrl.host}${dbUrl.pathname}`)
          .replace('redis://redis:6379', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
          .replace('http://xapi-sim:8090', `http://127.0.0.1:${simPort}`),
      ]),
    );
    Object.assign(env, {
      QUEUE_PREFIX: testRedisPrefix(),
      PORT: '0',
      WORKER_PORT: '0',
      SIM_PORT: '0',
      HOST: '127.0.0.1',
      WORKER_HOST: '127.0.0.1',
      SIM_HOST: '127.0.0.1',
    });
    const [bin, ...args] = svc.command;
    const entry = args.pop()!;
    assert.equal(bin, 'node');
    // startProcess runs the entry with nodeFlags (scripts/node-flags.json): compose must run the same ones
    assert.deepEqual(args, nodeFlags, `${name}: compose's node flags`);
    const proc = startProcess(join(image.dir, entry), env, name);
    running.push(proc);
    if (name === 'migrate') {
      assert.equal(await new Promise((r) => proc.child.once('exit', r)), 0, `migrate: ${proc.logs.slice(-5).join('\n')}`);
      continue;
    }
    const ready = await untilReady(proc, (l) => /listening/.test(String(l.msg)));
    if (name === 'xapi-sim') simPort = String(ready.port);
    else urls[name] = `http://127.0.0.1:${String(ready.port)}`;
  }
  assert.deepEqual(Object.keys(urls).sort(), ['api', 'worker']);
  for (const [name, url] of Object.entries(urls)) {
    const ready = await client(url, null)('GET', '/health/ready');
    assert.equal(ready.status, 200, `${name}: ${JSON.stringify(ready.body)}`);
  }
  const tenants = await client(urls.api, 'replay-operator-token-0123456789')('GET', '/v1/tenants');
  assert.equal(tenants.status, 200, 'the operator token compose was given works');
});
