// An outside 802.1Q access switch on the simulator's underlay wire: its own Open vSwitch (userspace datapath, a
// plain learning switch) in a namespace, trunked to the wire, with hosts (namespaces) on access ports of one VLAN each.
// The test machine's kernel has no 8021q module (no VLAN subinterfaces, no tc vlan action), so the tagging is the
// switch's, as a top-of-rack switch's would be.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const SCHEMAS = ['/usr/share/openvswitch/vswitch.ovsschema', '/usr/local/share/openvswitch/vswitch.ovsschema'];
const BRIDGE = 'sw';

export interface OutsideHost {
  netns: string;
  pings(ip: string): Promise<boolean>;
}

export class AccessSwitch {
  private readonly namespaces: string[] = [];
  private ports = 0;

  private constructor(
    private readonly id: string,
    private readonly dir: string,
    private readonly underlay: { netns: string; bridge: string },
  ) {}

  private get netns(): string {
    return `xvs-${this.id}`;
  }

  private get env(): NodeJS.ProcessEnv {
    return { ...process.env, OVS_RUNDIR: this.dir, OVS_DBDIR: this.dir, OVS_LOGDIR: this.dir };
  }

  private inSwitch(bin: string, args: string[]): Promise<unknown> {
    return exec('ip', ['netns', 'exec', this.netns, bin, ...args], { env: this.env, timeout: 30_000 });
  }

  private vsctl(...args: string[]): Promise<unknown> {
    return this.inSwitch('ovs-vsctl', [`--db=unix:${join(this.dir, 'db.sock')}`, '--timeout=30', ...args]);
  }

  /** The switch, its trunk port plugged into the underlay bridge. */
  static async start(underlay: { netns: string; bridge: string }): Promise<AccessSwitch> {
    const id = randomBytes(3).toString('hex');
    const sw = new AccessSwitch(id, `/tmp/xvs-${id}`, underlay);
    try {
      await exec('mkdir', ['-p', sw.dir]);
      await exec('ip', ['netns', 'add', sw.netns]);
      sw.namespaces.push(sw.netns);
      const schema = SCHEMAS.find(existsSync);
      if (!schema) throw new Error('vswitch.ovsschema not found');
      await exec('ovsdb-tool', ['create', join(sw.dir, 'conf.db'), schema]);
      await sw.inSwitch('ovsdb-server', [
        join(sw.dir, 'conf.db'),
        `--remote=punix:${join(sw.dir, 'db.sock')}`,
        `--pidfile=${join(sw.dir, 'ovsdb.pid')}`,
        `--unixctl=${join(sw.dir, 'ovsdb.ctl')}`,
        '--detach',
      ]);
      await sw.vsctl('--no-wait', 'init');
      await sw.inSwitch('ovs-vswitchd', [
        `unix:${join(sw.dir, 'db.sock')}`,
        '--disable-system',
        `--pidfile=${join(sw.dir, 'vswitchd.pid')}`,
        `--unixctl=${join(sw.dir, 'vswitchd.ctl')}`,
        `--log-file=${join(sw.dir, 'vswitchd.log')}`,
        '--detach',
      ]);
      // fail_mode standalone: no controller, the NORMAL action (MAC learning, access ports tag and untag).
      await sw.vsctl('add-br', BRIDGE, '--', 'set', 'bridge', BRIDGE, 'datapath_type=netdev');
      await sw.link('trunk', sw.netns, underlay.netns);
      await exec('ip', ['-n', underlay.netns, 'link', 'set', `u${id}`, 'master', underlay.bridge, 'up']);
      await sw.vsctl('add-port', BRIDGE, 'trunk');
      return sw;
    } catch (err) {
      await sw.stop();
      throw err;
    }
  }

  /** A veth `name` in `ns` whose peer (`u<id>` or `p<n>`) is in `peerNs`, both up. */
  private async link(name: string, ns: string, peerNs: string, peer = `u${this.id}`): Promise<void> {
    await exec('ip', ['link', 'add', name, 'netns', ns, 'type', 'veth', 'peer', 'name', peer, 'netns', peerNs]);
    await exec('ip', ['-n', ns, 'link', 'set', name, 'up']);
    await exec('ip', ['-n', peerNs, 'link', 'set', peer, 'up']);
    // Userspace datapaths forward frames whose checksum the sender left to offload: fill them in.
    await exec('ip', ['netns', 'exec', ns, 'ethtool', '-K', name, 'tx', 'off']);
    await exec('ip', ['netns', 'exec', peerNs, 'ethtool', '-K', peer, 'tx', 'off']);
  }

  /** A host holding `ip/24` on an access port of `vlan`, or, with null, straight on the underlay wire (untagged). */
  async host(ip: string, vlan: number | null): Promise<OutsideHost> {
    const netns = `xvh-${this.id}-${++this.ports}`;
    await exec('ip', ['netns', 'add', netns]);
    this.namespaces.push(netns);
    if (vlan === null) {
      const peer = `w${this.id}${this.ports}`;
      await this.link('eth0', netns, this.underlay.netns, peer);
      await exec('ip', ['-n', this.underlay.netns, 'link', 'set', peer, 'master', this.underlay.bridge]);
    } else {
      const port = `p${this.ports}`;
      await this.link('eth0', netns, this.netns, port);
      await this.vsctl('add-port', BRIDGE, port, `tag=${vlan}`);
    }
    await exec('ip', ['-n', netns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    await exec('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    return {
      netns,
      pings: (to) =>
        exec('ip', ['netns', 'exec', netns, 'ping', '-n', '-q', '-c', '2', '-i', '0.2', '-W', '1', to], { timeout: 20_000 }).then(
          () => true,
          () => false,
        ),
    };
  }

  async stop(): Promise<void> {
    for (const d of ['vswitchd', 'ovsdb']) {
      const file = join(this.dir, `${d}.pid`);
      if (!existsSync(file)) continue;
      try {
        process.kill(Number(readFileSync(file, 'utf8').trim()), 'SIGTERM');
      } catch {
        // already gone
      }
    }
    for (const ns of this.namespaces.reverse()) await exec('ip', ['netns', 'del', ns]).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}
