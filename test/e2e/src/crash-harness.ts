// The worker-killing harness of the crash end-to-end tests: SIGKILL the stack's worker at chosen moments and start a
// fresh one each time, as an operator's supervisor would.
import { eventually, startProcess, type ManagedProcess } from '@xenplane/testing';
import type { client, Stack } from './stack.js';

export interface WorkerKiller {
  /** After each pause (ms), SIGKILLs the running worker and waits for a new one to listen. */
  killsDuring(pauses: number[]): Promise<void>;
  /** Kills the worker running now (the stack's own, or the last one started). */
  stop(): Promise<void>;
}

/** `env`: what the stack's worker was started with beside the stack's environment (lock and sweep timings). */
export function workerKiller(stack: Stack, env: Record<string, string>, bootTimeoutMs = 20_000): WorkerKiller {
  let worker: ManagedProcess = stack.worker;
  const restart = async () => {
    worker = startProcess('apps/worker/dist/main.js', { ...stack.env, WORKER_PORT: '0', WORKER_HOST: '127.0.0.1', ...env }, 'worker');
    await worker.waitForLog((l) => l.msg === 'worker listening', bootTimeoutMs);
  };
  return {
    async killsDuring(pauses) {
      for (const ms of pauses) {
        await new Promise((r) => setTimeout(r, ms));
        await worker.stop('SIGKILL');
        await restart();
      }
    },
    async stop() {
      await worker.stop('SIGKILL');
    },
  };
}

/** Waits until every operation of `ids` (a tenant's, read by an operator with `?tenantId=`) has ended; answers them. */
export function terminal(op: ReturnType<typeof client>, tenantId: string, ids: string[], timeoutMs = 150_000) {
  return eventually(
    'every operation terminal',
    async () => {
      const all = (await op('GET', `/v1/operations?tenantId=${tenantId}&limit=500`)).body.items as { id: string; status: string }[];
      const mine = all.filter((o) => ids.includes(o.id));
      return mine.length === ids.length && mine.every((o) => o.status === 'succeeded' || o.status === 'failed') ? mine : undefined;
    },
    timeoutMs,
  );
}
