// Starts a private ovsdb-server (own temp dir, socket, pid and log) for tests; never touches the system service.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { canConnect, freePort } from '@xenplane/testing';

/** Where Debian's openvswitch-common puts the vswitch schema. */
export const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * undefined when ovsdb-server can be used; otherwise a skip message. With CI=true a missing server
 * throws instead, so the suite fails rather than silently skipping.
 */
export function ovsdbSkipReason(): string | undefined {
  const missing = ['ovsdb-server', 'ovsdb-tool'].filter((c) => !has(c));
  if (!existsSync(VSWITCH_SCHEMA)) missing.push(VSWITCH_SCHEMA);
  if (missing.length === 0) return undefined;
  const msg = `OVSDB tests need ${missing.join(', ')} (apt-get install -y openvswitch-switch)`;
  if (process.env.CI === 'true') throw new Error(`${msg}; required when CI=true`);
  return msg;
}

/** TLS material (PEM file paths) for a pssl: remote. */
export interface OvsdbServerTls {
  privateKey: string;
  certificate: string;
  caCert: string;
}

/** Options of startOvsdbServer. */
export interface OvsdbServerOptions {
  /** Also listen on ptcp:<free port>:127.0.0.1. */
  tcp?: boolean;
  /** Also listen on pssl:<free port>:127.0.0.1 with these files. */
  ssl?: OvsdbServerTls;
  /** Also serve the remotes configured in the Manager table (`ovs-vsctl set-manager`), as the system service does. */
  managerRemotes?: boolean;
}

/** A running private ovsdb-server. */
export interface OvsdbServerFixture {
  dir: string;
  dbPath: string;
  socketPath: string;
  /** `unix:<socketPath>` */
  unixRemote: string;
  tcpPort?: number;
  sslPort?: number;
  /** Runs ovs-vsctl against this server (no vswitchd, so always --no-wait). */
  vsctl(...args: string[]): string;
  /** Sends a signal to the server (SIGSTOP/SIGCONT to simulate a hung server). */
  signal(sig: NodeJS.Signals): void;
  /** SIGKILLs the server (a crash), leaving the db file. */
  kill(): Promise<void>;
  /** Starts it again on the same db, socket and ports. */
  restart(): Promise<void>;
  /** Stops the server and removes the directory. */
  stop(): Promise<void>;
}

/** Creates a db from the vswitch schema in a temp dir and serves it; resolves once it accepts connections. */
export async function startOvsdbServer(opts: OvsdbServerOptions = {}): Promise<OvsdbServerFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'xp-ovsdb-'));
  const dbPath = join(dir, 'conf.db');
  const socketPath = join(dir, 'db.sock');
  const logPath = join(dir, 'ovsdb-server.log');
  execFileSync('ovsdb-tool', ['create', dbPath, VSWITCH_SCHEMA]);
  const env = { ...process.env, OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir };
  let child: ChildProcess | undefined;
  const fixture: OvsdbServerFixture = {
    dir,
    dbPath,
    socketPath,
    unixRemote: `unix:${socketPath}`,
    vsctl: (...args) => execFileSync('ovs-vsctl', [`--db=unix:${socketPath}`, '--no-wait', '--timeout=5', ...args], { env, encoding: 'utf8' }).trim(),
    signal: (sig) => {
      child?.kill(sig);
    },
    kill: async () => stopChild('SIGKILL'),
    restart: async () => launch(),
    stop: async () => {
      await stopChild('SIGTERM');
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const killOnExit = () => child?.kill('SIGKILL');
  process.on('exit', killOnExit);

  async function stopChild(signal: NodeJS.Signals): Promise<void> {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await exited;
  }

  async function launch(): Promise<void> {
    const logStart = existsSync(logPath) ? readFileSync(logPath, 'utf8').length : 0;
    const remotes = [`--remote=punix:${socketPath}`];
    if (opts.tcp) remotes.push(`--remote=ptcp:${fixture.tcpPort}:127.0.0.1`);
    if (opts.managerRemotes) remotes.push('--remote=db:Open_vSwitch,Open_vSwitch,manager_options');
    if (opts.ssl) {
      remotes.push(
        `--remote=pssl:${fixture.sslPort}:127.0.0.1`,
        `--private-key=${opts.ssl.privateKey}`,
        `--certificate=${opts.ssl.certificate}`,
        `--ca-cert=${opts.ssl.caCert}`,
      );
    }
    child = spawn(
      'ovsdb-server',
      [dbPath, ...remotes, `--unixctl=${join(dir, 'ovsdb-server.ctl')}`, `--pidfile=${join(dir, 'ovsdb-server.pid')}`, `--log-file=${logPath}`],
      { env, stdio: 'ignore' },
    );
    const started = child;
    const deadline = Date.now() + 5_000;
    for (;;) {
      if (started.exitCode !== null) throw new Error(`ovsdb-server exited: ${readFileSync(logPath, 'utf8').slice(logStart)}`);
      const ready =
        (await canConnect({ path: socketPath })) &&
        (!fixture.tcpPort || (await canConnect({ host: '127.0.0.1', port: fixture.tcpPort }))) &&
        (!fixture.sslPort || (await canConnect({ host: '127.0.0.1', port: fixture.sslPort })));
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`ovsdb-server did not come up: ${readFileSync(logPath, 'utf8')}`);
      await sleep(20);
    }
  }

  // fixed ports (picked once) so a restart listens where the client reconnects
  if (opts.tcp) fixture.tcpPort = await freePort();
  if (opts.ssl) fixture.sslPort = await freePort();
  await launch();
  return fixture;
}
