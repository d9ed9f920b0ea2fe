// Test support: a private ovsdb-server + ovs-vswitchd (network.md §4.4) with its own run dir, db and bridge.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { canConnect, freePort } from '@xenplane/testing';
import { bridgeTarget, type OvsSslFiles } from '../flows/ofctl.js';

const exec = promisify(execFile);
const SCHEMA = ['/usr/share/openvswitch/vswitch.ovsschema', '/usr/local/share/openvswitch/vswitch.ovsschema'];

/** A running private OVS instance; `stop()` ends its daemons (by pidfile) and removes its directory. */
export interface OvsSandbox {
  dir: string;
  bridge: string;
  target: string;
  /** OVSDB remote of its ovsdb-server (`unix:<dir>/db.sock`). */
  db: string;
  /** With `ssl`: `ssl:127.0.0.1:<port>` remotes of ovsdb-server and of the bridge's OpenFlow listener. */
  sslDb?: string;
  sslOpenflow?: string;
  vsctl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

async function which(bin: string): Promise<boolean> {
  return exec('sh', ['-c', `command -v ${bin}`]).then(
    () => true,
    () => false,
  );
}

/** Why OVS tests cannot run here, or undefined when they can. */
export async function ovsUnavailable(): Promise<string | undefined> {
  for (const bin of ['ovsdb-tool', 'ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl', 'ovs-ofctl']) {
    if (!(await which(bin))) return `${bin} not found (apt-get install openvswitch-switch)`;
  }
  if (!SCHEMA.some(existsSync)) return 'vswitch.ovsschema not found';
  if (process.getuid?.() !== 0) return 'not root (the netdev bridge needs a tap device)';
  return undefined;
}

async function waitFor(path: string, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !existsSync(path);) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${path}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Starts ovsdb-server and ovs-vswitchd in a temp dir with one `netdev`, `fail_mode=secure` bridge.
 * `dummyPorts` lets `type=dummy` interfaces in (ports with an ofport but no device: benches with 1,000s of VIFs).
 */
export async function startOvsSandbox(opts: { dummyPorts?: boolean; ssl?: OvsSslFiles } = {}): Promise<OvsSandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'xp-ovs-'));
  // Unique name: the netdev bridge's internal port is a tap in this netns, shared with other tests.
  const bridge = `xpf${randomBytes(3).toString('hex')}`;
  const db = `unix:${join(dir, 'db.sock')}`;
  const env = { ...process.env, OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir };
  const pidfiles = [join(dir, 'vswitchd.pid'), join(dir, 'ovsdb.pid')];
  const vsctl = async (...args: string[]) => (await exec('ovs-vsctl', [`--db=${db}`, '--timeout=10', ...args], { env })).stdout;
  const stop = async () => {
    // Remove the bridge first so its tap device does not outlive vswitchd.
    if (existsSync(pidfiles[0])) await vsctl('--if-exists', 'del-br', bridge).catch(() => undefined);
    for (const pidfile of pidfiles) {
      if (!existsSync(pidfile)) continue;
      const pid = Number(readFileSync(pidfile, 'utf8').trim());
      try {
        process.kill(pid, 'SIGTERM');
        for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 20));
      } catch {
        // already gone
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await exec('ovsdb-tool', ['create', join(dir, 'conf.db'), SCHEMA.find(existsSync)!], { env });
    const [dbPort, ofPort] = opts.ssl ? [await freePort(), await freePort()] : [0, 0];
    const tls = opts.ssl
      ? [
          `--remote=pssl:${dbPort}:127.0.0.1`,
          `--private-key=${opts.ssl.privateKey}`,
          `--certificate=${opts.ssl.certificate}`,
          `--ca-cert=${opts.ssl.caCert}`,
        ]
      : [];
    await exec(
      'ovsdb-server',
      [
        join(dir, 'conf.db'),
        `--remote=p${db}`,
        ...tls,
        `--pidfile=${pidfiles[1]}`,
        `--unixctl=${join(dir, 'ovsdb.ctl')}`,
        `--log-file=${join(dir, 'ovsdb.log')}`,
        '--detach',
      ],
      { env },
    );
    await vsctl('--no-wait', 'init');
    await exec(
      'ovs-vswitchd',
      [
        db,
        '--disable-system',
        ...(opts.dummyPorts ? ['--enable-dummy'] : []),
        `--pidfile=${pidfiles[0]}`,
        `--unixctl=${join(dir, 'vswitchd.ctl')}`,
        `--log-file=${join(dir, 'vswitchd.log')}`,
        '--detach',
      ],
      { env },
    );
    await vsctl(
      'add-br',
      bridge,
      '--',
      'set',
      'bridge',
      bridge,
      'datapath_type=netdev',
      'fail_mode=secure',
      'protocols=OpenFlow13,OpenFlow15',
      'other_config:disable-in-band=true',
    );
    await waitFor(join(dir, `${bridge}.mgmt`), 5000);
    if (!opts.ssl) return { dir, bridge, target: bridgeTarget(dir, bridge), db, vsctl, stop };
    // A passive TLS OpenFlow listener on the bridge, with the switch's own certificate, as a host exposes it.
    await vsctl('set-ssl', opts.ssl.privateKey, opts.ssl.certificate, opts.ssl.caCert);
    await vsctl('set-controller', bridge, `pssl:${ofPort}:127.0.0.1`);
    for (
      const end = Date.now() + 5000;
      !(await canConnect({ host: '127.0.0.1', port: ofPort })) || !(await canConnect({ host: '127.0.0.1', port: dbPort }));
    ) {
      if (Date.now() > end) throw new Error('TLS listeners did not come up');
      await new Promise((r) => setTimeout(r, 50));
    }
    return {
      dir,
      bridge,
      target: bridgeTarget(dir, bridge),
      db,
      sslDb: `ssl:127.0.0.1:${dbPort}`,
      sslOpenflow: `ssl:127.0.0.1:${ofPort}`,
      vsctl,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
