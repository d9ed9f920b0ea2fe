// Starts one simulated pool behind an HTTP server; used by main.ts and, in-process, by tests.
import { apiReleases, DEFAULT_API_VERSION } from '../datamodel/api-versions.js';
import { populateVms } from '../domain/populate.js';
import { eventHandlers } from '../handlers/event-handlers.js';
import { hostHandlers } from '../handlers/host-handlers.js';
import { hostFailureHandlers } from '../handlers/host-failure-handlers.js';
import { maintenanceHandlers } from '../handlers/maintenance-handlers.js';
import { migrationHandlers } from '../handlers/migration-handlers.js';
import { networkHandlers } from '../handlers/network-handlers.js';
import { vlanHandlers } from '../handlers/vlan-handlers.js';
import { sessionHandlers } from '../handlers/session-handlers.js';
import { snapshotHandlers } from '../handlers/snapshot-handlers.js';
import { vbdHandlers } from '../handlers/vbd-handlers.js';
import { storageHandlers } from '../handlers/storage-handlers.js';
import { taskHandlers } from '../handlers/task-handlers.js';
import { vmConfigHandlers } from '../handlers/vm-config-handlers.js';
import { vmCreateHandlers } from '../handlers/vm-create-handlers.js';
import { vmPowerHandlers } from '../handlers/vm-power-handlers.js';
import { HostListeners, isLoopbackBind } from '../http/host-listeners.js';
import { serveConsole } from '../console/console-http.js';
import { syncConsoles } from '../domain/consoles.js';
import { exportRawVdi } from '../http/export-raw-vdi.js';
import { HttpRoutes } from '../http/http-routes.js';
import { importRawVdi } from '../http/import-raw-vdi.js';
import { createSimHandler, registerRpcRoutes } from '../http/sim-server.js';
import { createLogger, type Logger, type LogSetting } from '../log/logger.js';
import { Dispatcher } from '../rpc/dispatcher.js';
import { hostAddress, seedPool } from '../seed/seed-pool.js';
import { TaskRunner } from '../tasks/task-runner.js';
import { OvsFabric } from '../ovs/ovs-fabric.js';
import { ovsPrerequisiteMissing } from '../ovs/ovs-commands.js';
import { PoolPersistence } from '../persist/pool-persistence.js';
import { liveVms, restorePool } from '../persist/restore-pool.js';
import { VdiContent } from '../storage/vdi-content.js';
import { openDataDir } from './data-dir.js';
import { SimState } from './sim-state.js';

export interface SimulatorOptions {
  port?: number; // default 0: any free port
  host?: string; // bind address, default 127.0.0.1 (then host k also listens on 127.0.0.k, same port)
  username?: string; // default root
  password?: string; // default xenroot
  hosts?: number; // pool size, default 2
  network?: 'none' | 'ovs'; // ovs: a real Open vSwitch per host, VMs as network namespaces (root only)
  seed?: number; // seeds rate-based faults, default 1
  sessionTtlSeconds?: number; // idle session lifetime, default 86400
  jsonRpc?: boolean; // default true; false answers /jsonrpc like a host without JSON-RPC
  apiVersion?: string; // the xapi release presented, a key of apiReleases; default 2.21
  srGiB?: number; // size of each SR of a new pool, default 2048
  prepopulateVms?: number; // extra VMs created at start (scale runs), default 0; not added to a pool read back from disk
  dataDir?: string; // keep the pool and disk contents (vdis/) here and come back with them (main.ts: SIM_DATA_DIR); default: the pool in memory only, disk contents in a temporary directory removed on close
  reset?: boolean; // start from a new pool, discarding what dataDir holds (SIM_RESET=1)
  logLevel?: LogSetting; // default 'silent' in-process; main.ts passes LOG_LEVEL
  logger?: Logger;
}

export interface Simulator {
  url: string; // host 1
  port: number;
  hostUrl(index: number): string; // host `index` (1-based); its own listener on a loopback bind
  state: SimState;
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const log = options.logger ?? createLogger(options.logLevel ?? 'silent');
  if (options.apiVersion && !apiReleases[options.apiVersion])
    throw new Error(`unknown apiVersion ${options.apiVersion}; one of ${Object.keys(apiReleases).join(', ')}`);
  const state = new SimState(
    {
      username: options.username ?? 'root',
      password: options.password ?? 'xenroot',
      hosts: options.hosts ?? 2,
      seed: options.seed ?? 1,
      sessionTtlSeconds: options.sessionTtlSeconds ?? 86400,
      apiVersion: options.apiVersion ?? DEFAULT_API_VERSION,
      srBytes: (options.srGiB ?? 2048) * 1024 ** 3,
    },
    log,
  );
  const persistence = options.dataDir ? new PoolPersistence(state, options.dataDir) : undefined;
  if (persistence && options.reset) await persistence.wipe(); // the pool files and vdis/
  const data = openDataDir(options.dataDir);
  state.content = new VdiContent(data.vdis);
  const saved = await persistence?.load();
  if (saved) {
    restorePool(state, saved);
    log.info('pool read back from disk', {
      dir: persistence!.dir,
      pool: state.pool().uuid,
      hosts: state.hostRefs.length,
      vms: state.store.count('VM'),
    });
  } else {
    seedPool(state);
    if (options.prepopulateVms) populateVms(state, options.prepopulateVms);
  }
  state.control.jsonRpc = options.jsonRpc ?? true;
  if (options.network === 'ovs') {
    const missing = await ovsPrerequisiteMissing();
    if (missing) throw new Error(missing);
    state.dataplane = await OvsFabric.start(state, log);
    for (const vm of liveVms(state)) await state.dataplane.sync(vm); // VMs that came back running get their ports again
  }
  state.persistence = persistence;
  await persistence?.start();
  const tasks = new TaskRunner(state);
  const dispatcher = new Dispatcher(state, tasks, [
    sessionHandlers,
    vmPowerHandlers,
    vmCreateHandlers,
    vmConfigHandlers,
    storageHandlers,
    networkHandlers,
    vlanHandlers,
    hostHandlers,
    hostFailureHandlers,
    eventHandlers,
    taskHandlers(tasks),
    snapshotHandlers,
    vbdHandlers,
    migrationHandlers,
    maintenanceHandlers(tasks),
  ]);
  const bind = options.host ?? '127.0.0.1';
  const addresses = state.hostRefs.map((_, i) => hostAddress(i + 1));
  // xapi's HTTP handlers the simulator implements, by action name (http-routes.ts): register more here.
  const routes = registerRpcRoutes(new HttpRoutes(), state, dispatcher)
    .register('put_import_raw_vdi', importRawVdi(state))
    .register('get_export_raw_vdi', exportRawVdi(state))
    .registerTunnel('connect_console', (req, socket, head) => serveConsole(state, 'connect', req, socket, head))
    .registerTunnel('connect_console_ws', (req, socket, head) => serveConsole(state, 'websocket', req, socket, head));
  const listeners = new HostListeners(createSimHandler(state, dispatcher, routes), addresses, bind, isLoopbackBind(bind));
  const port = await listeners.start(options.port ?? 0).catch(async (err: Error) => {
    await persistence?.close();
    await state.dataplane?.close();
    data.dispose();
    throw err;
  });
  state.net = listeners;
  for (const [ref] of state.store.all('VM')) syncConsoles(state, ref); // console locations name the port now known
  const reachable = bind === '0.0.0.0' || bind === '::' || bind === 'localhost' ? '127.0.0.1' : bind.includes(':') ? `[${bind}]` : bind;
  log.info('xapi-sim listening', { port, host: bind, hosts: state.options.hosts, perHost: listeners.perHost });
  let closing: Promise<void> | undefined;
  return {
    url: `http://${reachable}:${port}`,
    port,
    state,
    hostUrl: (index) => `http://${listeners.perHost ? hostAddress(index) : reachable}:${port}`,
    close: () =>
      (closing ??= (async () => {
        state.timers.close(); // ends pending event.from waits and task delays
        state.consoleLinks.closeAll(); // taken-over sockets would keep the listeners open
        await listeners.close();
        await persistence?.close();
        await state.dataplane?.close();
        data.dispose();
      })()),
  };
}
