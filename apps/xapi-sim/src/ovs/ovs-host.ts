// One simulated hypervisor's Open vSwitch: its own namespace, run dir, ovsdb-server and ovs-vswitchd (network.md §4.4).
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { inNetns, killPidfile, run, waitForFile } from './ovs-commands.js';

const SCHEMAS = ['/usr/share/openvswitch/vswitch.ovsschema', '/usr/local/share/openvswitch/vswitch.ovsschema'];
export const INTEGRATION_BRIDGE = 'br-int';
// The uplink's bridge, named as XCP-ng's openvswitch backend names eth0's (the seeded network's `bridge`): provider
// networks are patched to it, and its internal port carries the tunnel IP.
export const UPLINK_BRIDGE = 'xenbr0';

export class OvsHost {
  readonly runDir: string;
  readonly db: string;

  constructor(
    readonly index: number,
    readonly netns: string,
    baseDir: string,
    readonly tunnelIp: string,
  ) {
    this.runDir = join(baseDir, `h${index}`);
    this.db = `unix:${join(this.runDir, 'db.sock')}`;
  }

  get openflow(): string {
    return `unix:${join(this.runDir, `${INTEGRATION_BRIDGE}.mgmt`)}`;
  }

  private get env(): NodeJS.ProcessEnv {
    // Each host's own run dir, or the daemons fight over <rundir>/<bridge>.mgmt.
    return { ...process.env, OVS_RUNDIR: this.runDir, OVS_DBDIR: this.runDir, OVS_LOGDIR: this.runDir };
  }

  private pidfile(daemon: 'ovsdb' | 'vswitchd'): string {
    return join(this.runDir, `${daemon}.pid`);
  }

  vsctl(...args: string[]): Promise<string> {
    return run('ovs-vsctl', [`--db=${this.db}`, '--timeout=30', ...args], this.env);
  }

  /** Namespace, daemons, the underlay bridge holding `ul0` with the tunnel IP, and br-int as networkd makes it. */
  async start(): Promise<void> {
    await mkdir(this.runDir, { recursive: true });
    await run('ip', ['netns', 'add', this.netns]);
    await run('ip', ['-n', this.netns, 'link', 'set', 'lo', 'up']);
    const schema = SCHEMAS.find(existsSync);
    if (!schema) throw new Error('vswitch.ovsschema not found');
    await run('ovsdb-tool', ['create', join(this.runDir, 'conf.db'), schema], this.env);
    await inNetns(
      this.netns,
      'ovsdb-server',
      [
        join(this.runDir, 'conf.db'),
        `--remote=p${this.db}`,
        `--pidfile=${this.pidfile('ovsdb')}`,
        `--unixctl=${join(this.runDir, 'ovsdb.ctl')}`,
        `--log-file=${join(this.runDir, 'ovsdb.log')}`,
        '--detach',
      ],
      this.env,
    );
    await this.vsctl('--no-wait', 'init');
    // As ovs-ctl does at start on a real host: controllers read the version to know which flow actions exist.
    const version = /\(Open vSwitch\) (\S+)/.exec(await run('ovs-vswitchd', ['--version']))?.[1];
    if (version) await this.vsctl('--no-wait', 'set', 'Open_vSwitch', '.', `ovs_version="${version}"`);
    await this.startVswitchd();
    await this.vsctl('add-br', UPLINK_BRIDGE, '--', 'set', 'bridge', UPLINK_BRIDGE, 'datapath_type=netdev');
    await this.vsctl(
      'add-br',
      INTEGRATION_BRIDGE,
      '--',
      'set',
      'bridge',
      INTEGRATION_BRIDGE,
      'datapath_type=netdev',
      'fail_mode=secure',
      'protocols=OpenFlow13,OpenFlow15',
      'other_config:disable-in-band=true',
    );
    await waitForFile(join(this.runDir, `${INTEGRATION_BRIDGE}.mgmt`), 10_000);
  }

  /** Joins the underlay: `ul0` (already moved into our namespace) on the uplink bridge, whose internal port owns the tunnel IP. */
  async attachUnderlay(): Promise<void> {
    await this.vsctl('add-port', UPLINK_BRIDGE, 'ul0');
    await run('ip', ['-n', this.netns, 'link', 'set', 'ul0', 'up']);
    await run('ip', ['-n', this.netns, 'addr', 'add', `${this.tunnelIp}/24`, 'dev', UPLINK_BRIDGE]);
    await run('ip', ['-n', this.netns, 'link', 'set', UPLINK_BRIDGE, 'up']);
  }

  private async startVswitchd(): Promise<void> {
    await inNetns(
      this.netns,
      'ovs-vswitchd',
      [
        this.db,
        '--disable-system',
        `--pidfile=${this.pidfile('vswitchd')}`,
        `--unixctl=${join(this.runDir, 'vswitchd.ctl')}`,
        `--log-file=${join(this.runDir, 'vswitchd.log')}`,
        '--detach',
      ],
      this.env,
    );
  }

  /** Kills vswitchd (its flows die with it; OVSDB keeps bridges and ports) and starts it again. */
  async restartVswitchd(): Promise<void> {
    await killPidfile(this.pidfile('vswitchd'), 'SIGKILL');
    await run('rm', ['-f', join(this.runDir, `${INTEGRATION_BRIDGE}.mgmt`), join(this.runDir, `${UPLINK_BRIDGE}.mgmt`)]);
    await this.startVswitchd();
    await waitForFile(join(this.runDir, `${INTEGRATION_BRIDGE}.mgmt`), 10_000);
  }

  vswitchdPid(): number | undefined {
    try {
      return Number(readFileSync(this.pidfile('vswitchd'), 'utf8').trim());
    } catch {
      return undefined;
    }
  }

  async stop(): Promise<void> {
    await this.vsctl('--if-exists', 'del-br', INTEGRATION_BRIDGE).catch(() => undefined);
    await this.vsctl('--if-exists', 'del-br', UPLINK_BRIDGE).catch(() => undefined);
    await killPidfile(this.pidfile('vswitchd'));
    await killPidfile(this.pidfile('ovsdb'));
    await run('ip', ['netns', 'del', this.netns]).catch(() => undefined);
  }
}
