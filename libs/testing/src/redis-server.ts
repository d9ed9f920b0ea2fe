import { spawn, type ChildProcess } from 'node:child_process';
import { eventually } from './eventually.js';
import { canConnect, freePort } from './net.js';

/** A private redis-server on its own port, so stopping it cannot disturb tests running beside this one. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Starts it (again) on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Kills it (an outage: nothing is saved). */
  stop(): Promise<void>;
}

/** A private Redis, not yet started unless `start` is left true. */
export async function redisServer(opts: { start?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      await eventually('redis up', () => canConnect({ host: '127.0.0.1', port }), 10_000);
    },
    async stop() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGKILL');
      await exited;
    },
  };
  if (opts.start ?? true) await server.start();
  return server;
}
