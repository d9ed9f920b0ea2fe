import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Repository root, found from this compiled file (libs/testing/dist/processes.js). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The V8 flags production runs with (scripts/node-flags.json: `npm start`, the Dockerfile, compose), so tests and benches measure them. */
export const nodeFlags = JSON.parse(readFileSync(join(repoRoot, 'scripts', 'node-flags.json'), 'utf8')) as string[];

export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly logs: string[];
  /** Resolves with the first JSON log line for which `match` returns true. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/** Starts a compiled entry point (path relative to the repo root) with the given environment. */
export function startProcess(entry: string, env: Record<string, string>, name = entry): ManagedProcess {
  const child = spawn(process.execPath, [...nodeFlags, entry], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const waiters = new Set<(line: Record<string, unknown>) => void>();
  const onLine = (line: string) => {
    logs.push(line);
    if (process.env.TEST_PROCESS_LOGS) process.stderr.write(`[${name}] ${line}\n`);
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    for (const w of waiters) w(parsed);
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  return {
    child,
    logs,
    waitForLog(match, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${name}: timed out waiting for a log line; last lines:\n${logs.slice(-20).join('\n')}`));
        }, timeoutMs);
        const check = (line: Record<string, unknown>) => {
          if (!match(line)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(line);
        };
        waiters.add(check);
        void exited.then((code) => {
          if (!waiters.has(check)) return;
          clearTimeout(timer);
          waiters.delete(check);
          reject(new Error(`${name} exited with ${code} before it was ready:\n${logs.slice(-20).join('\n')}`));
        });
      });
    },
    async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export interface SimProcess extends ManagedProcess {
  readonly url: string;
}

/**
 * Starts apps/xapi-sim on a free port; it logs `{"msg":"xapi-sim listening","port":N}` when ready. It keeps its
 * pool in a data directory of its own (removed when it stops) unless `SIM_DATA_DIR` is given (then kept, to restart on).
 */
export async function startSimProcess(env: Record<string, string> = {}): Promise<SimProcess> {
  const own = env.SIM_DATA_DIR === undefined ? mkdtempSync(join(tmpdir(), 'xapi-sim-')) : undefined;
  const proc = startProcess(
    'apps/xapi-sim/dist/main.js',
    { SIM_PORT: '0', LOG_LEVEL: 'info', ...(own ? { SIM_DATA_DIR: own } : {}), ...env },
    'xapi-sim',
  );
  const ready = await untilReady(proc, (l) => l.msg === 'xapi-sim listening').catch((err: Error) => {
    if (own) rmSync(own, { recursive: true, force: true });
    throw err;
  });
  const stop = proc.stop.bind(proc);
  return Object.assign(proc, {
    url: `http://127.0.0.1:${String(ready.port)}`,
    async stop(signal?: NodeJS.Signals, timeoutMs?: number) {
      const code = await stop(signal, timeoutMs);
      if (own) rmSync(own, { recursive: true, force: true });
      return code;
    },
  });
}

/**
 * Waits for a process's ready line; one that never gets there is killed, so a failed start cannot leave a child
 * keeping the test file alive.
 */
export async function untilReady(
  proc: ManagedProcess,
  match: (line: Record<string, unknown>) => boolean,
  timeoutMs = 60_000,
): Promise<Record<string, unknown>> {
  try {
    return await proc.waitForLog(match, timeoutMs);
  } catch (err) {
    await proc.stop('SIGKILL');
    throw err;
  }
}
