// Starts one simulated pool behind an HTTP server; used by main.ts and, in-process, by tests.
import type { AddressInfo } from 'node:net';
import { eventHandlers } from '../handlers/event-handlers.js';
import { hostHandlers } from '../handlers/host-handlers.js';
import { networkHandlers } from '../handlers/network-handlers.js';
import { sessionHandlers } from '../handlers/session-handlers.js';
import { storageHandlers } from '../handlers/storage-handlers.js';
import { taskHandlers } from '../handlers/task-handlers.js';
import { vmConfigHandlers } from '../handlers/vm-config-handlers.js';
import { vmCreateHandlers } from '../handlers/vm-create-handlers.js';
import { vmPowerHandlers } from '../handlers/vm-power-handlers.js';
import { createSimServer } from '../http/sim-server.js';
import { createLogger, type Logger, type LogSetting } from '../log/logger.js';
import { Dispatcher } from '../rpc/dispatcher.js';
import { seedPool } from '../seed/seed-pool.js';
import { TaskRunner } from '../tasks/task-runner.js';
import { SimState } from './sim-state.js';

export interface SimulatorOptions {
  port?: number; // default 0: any free port
  host?: string; // bind address, default 127.0.0.1
  username?: string; // default root
  password?: string; // default xenroot
  hosts?: number; // pool size, default 2
  network?: 'none';
  seed?: number; // seeds rate-based faults, default 1
  sessionTtlSeconds?: number; // idle session lifetime, default 86400
  logLevel?: LogSetting; // default 'silent' in-process; main.ts passes LOG_LEVEL
  logger?: Logger;
}

export interface Simulator {
  url: string;
  port: number;
  state: SimState;
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const log = options.logger ?? createLogger(options.logLevel ?? 'silent');
  const state = new SimState(
    {
      username: options.username ?? 'root',
      password: options.password ?? 'xenroot',
      hosts: options.hosts ?? 2,
      seed: options.seed ?? 1,
      sessionTtlSeconds: options.sessionTtlSeconds ?? 86400,
    },
    log,
  );
  seedPool(state);
  const tasks = new TaskRunner(state);
  const dispatcher = new Dispatcher(state, tasks, [
    sessionHandlers, vmPowerHandlers, vmCreateHandlers, vmConfigHandlers, storageHandlers, networkHandlers,
    hostHandlers, eventHandlers, taskHandlers(tasks),
  ]);
  const server = createSimServer(state, dispatcher);
  const bind = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const reachable = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind.includes(':') ? `[${bind}]` : bind;
  log.info('xapi-sim listening', { port, host: bind, hosts: state.options.hosts });
  let closing: Promise<void> | undefined;
  return {
    url: `http://${reachable}:${port}`,
    port,
    state,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        state.timers.close(); // ends pending event.from waits and task delays
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
