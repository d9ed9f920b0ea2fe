// The README's curl walkthrough, pasted as it is, twice, against `npm start`: every operation it waits for succeeds,
// and the second run does not trip over the names the first one made.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, freePort, repoRoot, startProcess, testRedisPrefix, type ManagedProcess, type TestDatabase } from '@xenplane/testing';

let db: TestDatabase;
let launcher: ManagedProcess;
let dataDir: string;
let port: number;
const OP = randomBytes(24).toString('hex');

before(async () => {
  db = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'readme-sim-'));
  [port] = [await freePort()];
  launcher = startProcess(
    'scripts/start.mjs',
    {
      SIM_DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: testRedisPrefix(),
      LOG_LEVEL: 'warn',
      PORT: String(port),
      HOST: '127.0.0.1',
      SIM_PORT: String(await freePort()),
      WORKER_PORT: String(await freePort()),
      WORKER_HOST: '127.0.0.1',
      BOOTSTRAP_OPERATOR_TOKEN: OP,
      RATE_LIMIT_PER_MINUTE: '100000',
    },
    'launcher',
  );
});
after(async () => {
  await launcher?.stop('SIGTERM', 20_000);
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** The README's walkthrough: the sh block that follows the one starting the stack, under "Five minutes with curl". */
function walkthrough(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Five minutes with curl'));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.match(blocks[0], /npm start &/);
  return blocks[1];
}

/** The README's CLI block (under "The same with the CLI"), run after a walkthrough that defines its names. */
function cliBlock(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## The same with the CLI'));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1])[0];
}

function bash(script: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', OP, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

for (const round of ['first', 'second']) {
  test(`the README walkthrough runs verbatim (${round} run)`, { timeout: 300_000 }, async () => {
    const { code, out } = await bash(walkthrough());
    assert.equal(code, 0, out);
    const ops = [...out.matchAll(/^operation [0-9a-f-]{36}: (\w+)$/gm)].map((m) => m[1]);
    assert.deepEqual(ops, Array(8).fill('succeeded'), out);
    assert.match(out, /^\{"hostname":"web-3","keys":1\}$/m, 'a VM with a keypair, user-data and a hostname');
    assert.match(out, /^\["expiresAt","url"\]$/m, 'a console URL for the running VM');
    assert.match(out, /\{"code":"requires_stop","liveMax":\{"vcpus":4,"memoryMiB":4096\}\}/);
    assert.match(out, /\{"status":"running","vcpus":4,"memoryMiB":4096,"diskGiB":30,"liveMax":\{"vcpus":8,"memoryMiB":8192\}\}/);
    assert.match(out, /^\{"name":"web-1b","description":"front end","tags":\["env=prod","team:web"\]\}$/m, 'rename and describe: 200 at once');
    assert.match(out, /\{"code":"in_use","usedBy":\{"vms":\["[0-9a-f-]{36}"\]\}\}/);
    const replays = [...out.matchAll(/^\["([0-9a-f-]{36})","([0-9a-f-]{36})"\]$/gm)].map((m) => m[0]);
    assert.equal(replays.length, 2, out);
    assert.equal(replays[0], replays[1], 'the Idempotency-Key replays the same VM and operation');
    assert.doesNotMatch(out, /name_taken|validation_failed|not_found/, out);
  });
}

test('the README CLI block runs verbatim after the walkthrough', { timeout: 300_000 }, async () => {
  const config = mkdtempSync(join(tmpdir(), 'readme-cli-'));
  try {
    const { code, out } = await bash(`${walkthrough()}\nexport XDG_CONFIG_HOME=${config}\nset -x\n${cliBlock()}`);
    assert.equal(code, 0, out);
    for (const kind of [
      'vm.create',
      'vm.stop',
      'vm.resize',
      'vm.start',
      'vm.add-nic',
      'volume.attach',
      'snapshot.create',
      'snapshot.revert',
      'vm.delete',
    ])
      assert.match(out, new RegExp(`^✔ ${kind.replace('.', '\\.')} [0-9a-f-]{36} succeeded in`, 'm'), `${kind} in:\n${out}`);
    assert.match(out, /^\S+\s+1\s+attached\s+private\s+10\.0\.1\.2\s/m, 'the added NIC on net2, in the nic table');
    assert.match(out, /^url\s+wss?:\/\/\S+/m, 'a console URL');
  } finally {
    rmSync(config, { recursive: true, force: true });
  }
});
