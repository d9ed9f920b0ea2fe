// Shelling out for the OVS fabric: execFile only (no shell), bounded time, stderr in the error.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 30_000, env: env ?? process.env }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${String(stderr).trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Several `ip` commands in one process (`ip -n <ns> -batch -`): a migration's switch-over stays a few ms. */
export function ipBatch(ns: string, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('ip', ['-n', ns, '-batch', '-'], { timeout: 30_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`ip -n ${ns} -batch: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
    child.stdin?.end(`${lines.join('\n')}\n`);
  });
}

/** `ip netns exec <ns> <cmd> ...`: daemons started this way live in that namespace. */
export function inNetns(ns: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], env);
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

export async function waitForFile(path: string, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !existsSync(path); await sleep(20)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${path}`);
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A zombie (exited, not yet reaped: detached daemons' parent may be a PID 1 that never reaps) counts as gone. */
export function isAlive(pid: number): boolean {
  if (!(pid > 0 && alive(pid))) return false;
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Stops the daemon named by a pidfile and waits for it to exit (SIGKILL after 2 s). */
export async function killPidfile(pidfile: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!existsSync(pidfile)) return;
  const pid = Number(readFileSync(pidfile, 'utf8').trim());
  if (!isAlive(pid)) return;
  process.kill(pid, signal);
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(20);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(20);
}

/** Why `SIM_NETWORK=ovs` cannot run here, or undefined. */
export async function ovsPrerequisiteMissing(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'SIM_NETWORK=ovs needs root (network namespaces, veth pairs, OVS daemons)';
  for (const bin of ['ip', 'ovs-vswitchd', 'ovsdb-server', 'ovsdb-tool', 'ovs-vsctl', 'ethtool']) {
    const found = await run('sh', ['-c', `command -v ${bin}`]).then(
      () => true,
      () => false,
    );
    if (!found) return `SIM_NETWORK=ovs needs ${bin} (apt-get install openvswitch-switch iproute2 ethtool)`;
  }
  return undefined;
}
