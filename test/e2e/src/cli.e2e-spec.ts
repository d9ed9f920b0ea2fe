// The real `xenplane` binary against the real stack: a tenant's day in tables and JSON, its exit codes, and the
// live progress display as a terminal (tmux) shows it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createXenplaneClient, must } from '@xenplane/client';
import { eventually, repoRoot, simFault, simLatency, sshKeygen, xapi } from '@xenplane/testing';
import { OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

const BIN = join(repoRoot, 'apps/cli/bin/xenplane.js');
let stack: Stack;
let tenantToken: string;
const home = mkdtempSync(join(tmpdir(), 'xenplane-cli-'));

before(async () => {
  stack = await startStack();
  const op = createXenplaneClient({ baseUrl: stack.api.url, token: OPERATOR_TOKEN });
  await op.POST('/v1/flavors', { body: { name: 'small', vcpus: 1, memoryMiB: 512, diskGiB: 10 } });
  await op.POST('/v1/flavors', { body: { name: 'medium', vcpus: 2, memoryMiB: 1024, diskGiB: 10 } });
  await op.POST('/v1/images', { body: { name: 'debian-12', template: 'Debian Bookworm 12', configDrive: 'nocloud' } });
  const tenant = must(await op.POST('/v1/tenants', { body: { name: 'cli-day' } }));
  const key = must(
    await op.POST('/v1/tenants/{tenantId}/api-keys', { params: { path: { tenantId: tenant.id } }, body: { name: 'cli', role: 'admin' } }),
  );
  tenantToken = key.token!;
});
after(async () => {
  await stack?.stop();
});

/** Runs the binary as a user's shell would (no XENPLANE_* unless given); never throws on a non-zero exit. */
function xp(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', XDG_CONFIG_HOME: home, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('a tenant’s day: login, keypair, network, VM with --wait, resize, console URL, delete', { timeout: 240_000 }, async () => {
  assert.equal((await xp(['vm', 'list'])).code, 5, 'not logged in yet: exit 5');
  const bad = await xp(['login', '--url', stack.api.url, '--token', 'wrong']);
  assert.deepEqual([bad.code, /unauthenticated/.test(bad.stderr)], [1, true], bad.stderr);
  const login = await xp(['login', '--url', stack.api.url, '--token', tenantToken, '--profile', 'work']);
  assert.equal(login.code, 0, login.stderr);
  const config = join(home, 'xenplane/config.json');
  assert.equal(statSync(config).mode & 0o777, 0o600);
  assert.equal((JSON.parse(readFileSync(config, 'utf8')) as { current: string }).current, 'work');

  const key = sshKeygen('ed25519');
  const kp = await xp(['keypair', 'create', 'me', key.pub, '-o', 'json']);
  assert.equal(kp.code, 0, kp.stderr);
  assert.equal((JSON.parse(kp.stdout) as { fingerprint: string }).fingerprint, key.fingerprint);

  const net = await xp(['network', 'create', 'net1', '10.9.0.0/24', '--wait', '-q']);
  assert.equal(net.code, 0, net.stderr);
  assert.match(net.stdout, /^[0-9a-f-]{36}\n$/);

  const created = await xp([
    'vm',
    'create',
    'web1',
    '--flavor',
    'small',
    '--image',
    'debian-12',
    '--network',
    'net1',
    '--keypair',
    'me',
    '--wait',
    '-o',
    'json',
  ]);
  assert.equal(created.code, 0, created.stderr);
  const vm = JSON.parse(created.stdout) as { id: string; status: string; vcpus: number; nics: { ip: string }[] };
  assert.deepEqual([vm.status, vm.vcpus], ['running', 1]);
  assert.match(created.stderr, /succeeded in \d+\.\ds/);

  const table = await xp(['vm', 'list']);
  assert.equal(table.code, 0);
  const [header, row] = table.stdout.trim().split('\n');
  assert.match(header, /^ID\s+NAME\s+STATUS\s+VCPUS\s+MEMORYMIB\s+DISKGIB\s+ADDRESSES$/);
  assert.match(row, new RegExp(`^${vm.id}\\s+web1\\s+running\\s+1\\s+512\\s+10\\s+10\\.9\\.0\\.\\d+$`));

  const yaml = await xp(['vm', 'show', 'web1', '-o', 'yaml']);
  assert.match(yaml.stdout, new RegExp(`^id: ${vm.id}$`, 'm'));

  const resized = await xp(['vm', 'resize', 'web1', '--flavor', 'medium', '--wait', '-o', 'json']);
  assert.equal(resized.code, 0, resized.stderr);
  assert.equal((JSON.parse(resized.stdout) as { vcpus: number }).vcpus, 2);

  const consoleUrl = await xp(['vm', 'console', 'web1', '--print']);
  assert.equal(consoleUrl.code, 0, consoleUrl.stderr);
  assert.match(consoleUrl.stdout, /^url\s+wss?:\/\/\S+/m);

  const deleted = await xp(['vm', 'delete', 'web1', '--wait', '-q']);
  assert.equal(deleted.code, 0, deleted.stderr);
  const after = await xp(['vm', 'list', '-o', 'json']);
  assert.deepEqual(JSON.parse(after.stdout), []);
});

test('a firewall, a public NIC, a volume and a snapshot from the CLI, operator and tenant', { timeout: 240_000 }, async () => {
  const tenantEnv = { XENPLANE_URL: stack.api.url, XENPLANE_TOKEN: tenantToken };
  const opEnv = { XENPLANE_URL: stack.api.url, XENPLANE_TOKEN: OPERATOR_TOKEN };
  const json = async (args: string[], env: Record<string, string>) => {
    const r = await xp([...args, '-o', 'json'], env);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, unknown> & { id: string };
  };
  const call = await xapi(stack.sim);
  const [eth0] = (await call('network.get_by_name_label', 'Pool-wide network associated with eth0')) as string[];
  const eth0Uuid = (await call('network.get_uuid', eth0)) as string;
  const pn = await json(
    [
      'provider-network',
      'create',
      'public',
      '203.0.113.0/24',
      '--gateway',
      '203.0.113.1',
      '--pool',
      '203.0.113.10-203.0.113.12',
      '--xapi-network',
      eth0Uuid,
    ],
    opEnv,
  );
  assert.deepEqual(pn.allocationPools, [{ start: '203.0.113.10', end: '203.0.113.12' }]);
  await eventually('provider network active', async () =>
    (await json(['provider-network', 'show', 'public'], opEnv)).status === 'active' ? true : undefined,
  );
  const tenantView = (await xp(['provider-network', 'list'], tenantEnv)).stdout;
  assert.match(tenantView, /^\S+\s+public\s+203\.0\.113\.0\/24\s+203\.0\.113\.1\s+active$/m, 'tenants see it');

  const web = await json(['security-group', 'create', 'web', '--description', 'https in'], tenantEnv);
  await json(['security-group', 'rule', 'add', 'web', '--port', '443', '--remote-cidr', '0.0.0.0/0'], tenantEnv);
  await json(['security-group', 'rule', 'add', 'web', '--protocol', 'udp', '--port', '6000-6010', '--remote-group', 'web'], tenantEnv);
  const rules = (await xp(['security-group', 'rule', 'list', 'web'], tenantEnv)).stdout;
  assert.match(rules, /ingress\s+tcp\s+443\s+0\.0\.0\.0\/0/);
  assert.match(rules, new RegExp(`ingress\\s+udp\\s+6000-6010\\s+${web.id}`));

  const vm = await json(['vm', 'create', 'app1', '--flavor', 'small', '--image', 'debian-12', '--wait'], tenantEnv);
  const added = await json(['vm', 'nic', 'add', 'app1', '--network', 'public', '--security-group', 'web', '--wait'], tenantEnv);
  const nics = (await json(['vm', 'nic', 'list', 'app1'], tenantEnv)) as unknown as {
    id: string;
    ip: string;
    networkKind: string;
    securityGroupIds: string[];
  }[];
  const pub = nics.find((n) => n.networkKind === 'provider');
  assert.deepEqual([pub?.id, pub?.ip, pub?.securityGroupIds], [added.id, '203.0.113.10', [web.id]]);
  const regrouped = await json(['vm', 'nic', 'set-groups', 'app1', added.id, '--security-group', 'default', 'web'], tenantEnv);
  assert.equal((regrouped.securityGroupIds as string[]).length, 2);

  await json(['volume', 'create', 'data', '5', '--wait'], tenantEnv);
  const attached = await json(['volume', 'attach', 'data', 'app1', '--wait'], tenantEnv);
  assert.equal(attached.vmId, vm.id);
  const snap = await json(['vm', 'snapshot', 'app1', 'before', '--wait'], tenantEnv);
  assert.equal(snap.status, 'available');
  const reverted = await xp(['snapshot', 'revert', 'before', '--wait'], tenantEnv);
  assert.equal(reverted.code, 0, reverted.stderr);
  assert.equal((await json(['vm', 'show', 'app1'], tenantEnv)).status, 'running', 'a running VM starts again after its revert');
  assert.equal((await json(['volume', 'detach', 'data', '--wait'], tenantEnv)).vmId, null);

  const removed = await xp(['vm', 'nic', 'remove', 'app1', added.id, '--wait'], tenantEnv);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(((await json(['vm', 'nic', 'list', 'app1'], tenantEnv)) as unknown as unknown[]).length, 0);
  const busy = await xp(['security-group', 'rule', 'add', 'web', '--remote-group', '00000000-0000-4000-8000-000000000000'], tenantEnv);
  assert.deepEqual([busy.code, /not_found \(404\)/.test(busy.stderr)], [1, true], busy.stderr);
  assert.equal((await xp(['host', 'maintenance', 'h1', 'sideways'], opEnv)).code, 2, 'on or off');
});

test('exit codes tell usage, API errors, failed operations and timeouts apart', { timeout: 180_000 }, async () => {
  const env = { XENPLANE_URL: stack.api.url, XENPLANE_TOKEN: tenantToken };
  assert.equal((await xp(['vm', 'create'], env)).code, 2, 'missing argument');
  assert.equal((await xp(['vm', 'frobnicate'], env)).code, 2, 'unknown command');
  const missing = await xp(['vm', 'show', '00000000-0000-4000-8000-000000000000'], env);
  assert.deepEqual([missing.code, /not_found \(404\)/.test(missing.stderr)], [1, true], missing.stderr);
  const invalid = await xp(['network', 'create', 'n2', 'not-a-cidr'], env);
  assert.deepEqual([invalid.code, /validation_failed/.test(invalid.stderr)], [1, true], invalid.stderr);

  await simFault(stack.sim, { method: 'VM.provision', code: 'SR_FULL', params: ['0', '0'], times: 1 });
  const failed = await xp(['vm', 'create', 'doomed', '--flavor', 'small', '--image', 'debian-12', '--wait'], env);
  assert.equal(failed.code, 3, failed.stderr);
  assert.match(failed.stderr, /✖ vm\.create \S+ failed after \d+\.\ds: \w+/);

  await simLatency(stack.sim, 'VM.clone', 6000);
  try {
    const slow = await xp(['vm', 'create', 'slow', '--flavor', 'small', '--image', 'debian-12', '--wait', '--timeout', '1'], env);
    assert.equal(slow.code, 4, slow.stderr);
    assert.match(slow.stderr, /did not finish within 1s/);
  } finally {
    await simLatency(stack.sim, 'VM.clone', 0);
  }
});

test('the progress display in a real terminal: spinner with status and elapsed time, then the success line', { timeout: 120_000 }, async () => {
  await simLatency(stack.sim, 'VM.clone', 4000);
  const session = `xp-${String(process.pid)}`;
  const cmd = `XDG_CONFIG_HOME=${home} ${process.execPath} ${BIN} vm create tty1 --flavor small --image debian-12 --wait; echo "exit=$?"; sleep 30`;
  execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '160', '-y', '20', cmd]);
  const capture = () => execFileSync('tmux', ['capture-pane', '-p', '-S', '-200', '-t', session], { encoding: 'utf8' });
  try {
    const running = await eventually(
      'a spinner line',
      async () => (/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] vm\.create \S+: (queued|running)[^\n]* · \d+\.\ds/.test(capture()) ? capture() : undefined),
      30_000,
      50,
    );
    assert.doesNotMatch(running, /✔/);
    const done = await eventually('the end', async () => (/exit=\d/.test(capture()) ? capture() : undefined), 60_000);
    assert.match(done, /✔ vm\.create \S+ succeeded in \d+\.\ds/);
    assert.match(done, /exit=0/);
    assert.doesNotMatch(done, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/, 'the spinner line is cleared at the end');
  } finally {
    execFileSync('tmux', ['kill-session', '-t', session]);
    await simLatency(stack.sim, 'VM.clone', 0);
  }
});
