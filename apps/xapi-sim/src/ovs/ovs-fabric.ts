// SIM_NETWORK=ovs: a real Open vSwitch per simulated host, joined by a veth underlay, and VMs as namespaces.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { SimState } from '../sim/sim-state.js';
import { isNullRef } from '../util/ids.js';
import { isAlive, killPidfile, run } from './ovs-commands.js';
import { INTEGRATION_BRIDGE, OvsHost } from './ovs-host.js';
import { movePorts, plugPort, plugVm, unplugPort, unplugVm, vmNetns, type PluggedPort, type VifSpec } from './vm-ports.js';
import { scalar } from '../datamodel/defaults.js';

const TMP = '/tmp';
const PREFIX = 'xsim-';

interface Plugged {
  uuid: string;
  host: number;
  domid: number;
  ports: PluggedPort[];
}

/** Removes what simulators that died without closing left behind (daemons by pidfile, namespaces, run dirs). */
async function sweepDead(log: Logger): Promise<void> {
  for (const name of readdirSync(TMP).filter((n) => n.startsWith(PREFIX))) {
    const dir = join(TMP, name);
    const file = join(dir, 'state.json');
    if (!existsSync(file)) continue;
    let state: { pid: number; netns: string[] };
    try {
      state = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; netns: string[] };
    } catch {
      continue;
    }
    if (isAlive(state.pid)) continue;
    for (const h of readdirSync(dir).filter((n) => /^h\d+$/.test(n))) {
      for (const d of ['vswitchd', 'ovsdb']) await killPidfile(join(dir, h, `${d}.pid`), 'SIGKILL');
    }
    for (const ns of state.netns) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    log.info("removed a dead simulator's OVS fabric", { dir });
  }
}

export class OvsFabric {
  private readonly plugged = new Map<string, Plugged>();
  private readonly chains = new Map<string, Promise<void>>();

  private constructor(
    private readonly sim: SimState,
    private readonly dir: string,
    private readonly underlayNs: string,
    readonly hosts: OvsHost[],
  ) {}

  static async start(sim: SimState, log: Logger): Promise<OvsFabric> {
    await sweepDead(log);
    const id = randomBytes(3).toString('hex');
    const dir = join(TMP, `${PREFIX}${id}`);
    const hosts = sim.hostRefs.map((_, i) => new OvsHost(i + 1, `${PREFIX}${id}-h${i + 1}`, dir, `172.31.0.${i + 1}`));
    const fabric = new OvsFabric(sim, dir, `${PREFIX}${id}-ul`, hosts);
    try {
      await run('mkdir', ['-p', dir]);
      fabric.saveState();
      await run('ip', ['netns', 'add', fabric.underlayNs]);
      await run('ip', ['-n', fabric.underlayNs, 'link', 'add', 'br0', 'type', 'bridge']);
      await run('ip', ['-n', fabric.underlayNs, 'link', 'set', 'br0', 'up']);
      for (const h of hosts) {
        await h.start();
        fabric.saveState();
        await run('ip', ['link', 'add', 'ul0', 'netns', h.netns, 'type', 'veth', 'peer', 'name', `h${h.index}`, 'netns', fabric.underlayNs]);
        await run('ip', ['-n', fabric.underlayNs, 'link', 'set', `h${h.index}`, 'master', 'br0', 'up']);
        await h.attachUnderlay();
      }
      fabric.publishHosts();
      log.info('ovs fabric up', { dir, hosts: hosts.length });
      return fabric;
    } catch (err) {
      await fabric.close();
      throw err;
    }
  }

  /** How the control plane finds each host's OVS: through XAPI, like an operator's `xe host-param-set`. */
  publishHosts(): void {
    for (const h of this.hosts) {
      const ref = this.sim.hostRefs[h.index - 1];
      const other = this.sim.store.mustGet('host', ref).other_config as Record<string, string>;
      this.sim.store.update('host', ref, {
        other_config: {
          ...other,
          'xenplane-ovsdb': h.db,
          'xenplane-openflow': h.openflow,
          'xenplane-bridge': INTEGRATION_BRIDGE,
          'xenplane-tunnel-ip': h.tunnelIp,
        },
      });
    }
  }

  /** Makes a VM's ports match its record (running on a host with a domid, or not); serialized per VM. */
  sync(vmRef: string): Promise<void> {
    return this.enqueue(vmRef, () => this.syncNow(vmRef));
  }

  /** Moves a plugged VM's ports to host `index` as domain `domid`, destination first (see movePorts). */
  move(vmRef: string, index: number, domid: number): Promise<void> {
    return this.enqueue(vmRef, async () => {
      const have = this.plugged.get(vmRef);
      const to = this.hosts[index - 1];
      if (!have || !to || (have.host === index && have.domid === domid)) return;
      const ports = await movePorts(this.hosts[have.host - 1], to, have.uuid, have.ports, domid, this.vifsOf(vmRef));
      this.plugged.set(vmRef, { uuid: have.uuid, host: index, domid, ports });
      this.saveState();
    });
  }

  private enqueue(vmRef: string, fn: () => Promise<void>): Promise<void> {
    const next = (this.chains.get(vmRef) ?? Promise.resolve()).catch(() => undefined).then(fn);
    this.chains.set(vmRef, next);
    void next.finally(() => this.chains.get(vmRef) === next && this.chains.delete(vmRef)).catch(() => undefined);
    return next;
  }

  private async syncNow(vmRef: string): Promise<void> {
    const vm = this.sim.store.get('VM', vmRef);
    const hostRef = vm ? scalar(vm.resident_on) : '';
    const up = vm && (vm.power_state === 'Running' || vm.power_state === 'Paused') && !isNullRef(hostRef) && Number(vm.domid) > 0;
    const want = up ? { host: this.sim.hostRefs.indexOf(hostRef) + 1, domid: Number(vm.domid) } : undefined;
    const have = this.plugged.get(vmRef);
    if (have && (!want || have.host !== want.host || have.domid !== want.domid)) {
      await unplugVm(this.hosts[have.host - 1], have.uuid, have.ports);
      this.plugged.delete(vmRef);
      this.saveState();
    }
    if (!want || !vm) return;
    const current = this.plugged.get(vmRef);
    if (current) return this.hotplug(vmRef, current);
    const uuid = scalar(vm.uuid);
    this.plugged.set(vmRef, { uuid, host: want.host, domid: want.domid, ports: [] }); // namespace recorded before it exists
    this.saveState();
    try {
      const ports = await plugVm(this.hosts[want.host - 1], uuid, want.domid, this.vifsOf(vmRef));
      this.plugged.set(vmRef, { uuid, host: want.host, domid: want.domid, ports });
    } catch (err) {
      this.plugged.delete(vmRef);
      this.saveState();
      throw err;
    }
  }

  /** A running VM's VIFs plugged or unplugged since its start (VIF.plug/unplug): its ports follow, the others stay up. */
  private async hotplug(vmRef: string, have: Plugged): Promise<void> {
    const attached = this.vifsOf(vmRef).filter((v) => this.sim.store.get('VIF', v.ref)?.currently_attached === true);
    const host = this.hosts[have.host - 1];
    const keep = have.ports.filter((p) => attached.some((v) => v.device === p.device && v.mac === p.mac));
    if (keep.length === have.ports.length && attached.length === keep.length) return;
    for (const p of have.ports) if (!keep.includes(p)) await unplugPort(host, p);
    const ports = [...keep];
    this.plugged.set(vmRef, { ...have, ports });
    for (const v of attached) if (!keep.some((p) => p.device === v.device)) await plugPort(host, have.uuid, have.domid, v, ports);
    ports.sort((a, b) => a.device - b.device);
    this.saveState();
  }

  private vifsOf(vmRef: string): (VifSpec & { ref: string })[] {
    const vm = this.sim.store.mustGet('VM', vmRef);
    const xs = vm.xenstore_data as Record<string, string>;
    return (vm.VIFs as string[])
      .flatMap((ref) => {
        const vif = this.sim.store.get('VIF', ref);
        if (!vif) return [];
        const device = Number(vif.device);
        const net = this.sim.store.get('network', scalar(vif.network));
        return [
          {
            ref,
            device,
            vifUuid: scalar(vif.uuid),
            networkUuid: scalar(net?.uuid ?? ''),
            mac: scalar(vif.MAC).toLowerCase(),
            ip: xs[`vm-data/ip${device}`],
          },
        ];
      })
      .sort((a, b) => a.device - b.device);
  }

  /** GET /sim/ovs */
  describe(): unknown {
    return {
      // The wire every host's uplink (ul0 on xenbr0) is plugged into: a Linux bridge `br0` in this namespace.
      underlay: { netns: this.underlayNs, bridge: 'br0' },
      hosts: this.hosts.map((h) => ({
        host: h.index,
        netns: h.netns,
        runDir: h.runDir,
        ovsdb: h.db,
        openflow: h.openflow,
        bridge: INTEGRATION_BRIDGE,
        tunnelIp: h.tunnelIp,
        vswitchdPid: h.vswitchdPid(),
      })),
      vms: [...this.plugged.values()].map((p) => ({
        uuid: p.uuid,
        netns: vmNetns(p.uuid),
        host: p.host,
        ports: p.ports.map((x) => ({ device: x.device, name: x.name, mac: x.mac, ip: x.ip ?? null })),
      })),
    };
  }

  async restartVswitchd(index: number): Promise<boolean> {
    const h = this.hosts[index - 1];
    if (!h) return false;
    await h.restartVswitchd();
    return true;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.chains.values()]);
    for (const p of this.plugged.values()) await unplugVm(this.hosts[p.host - 1], p.uuid, p.ports);
    this.plugged.clear();
    for (const h of this.hosts) await h.stop();
    await run('ip', ['netns', 'del', this.underlayNs]).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Owner pid and every namespace we may have made, so a later simulator can clean up after a crash. */
  private saveState(): void {
    const netns = [this.underlayNs, ...this.hosts.map((h) => h.netns), ...[...this.plugged.values()].map((p) => vmNetns(p.uuid))];
    if (existsSync(this.dir)) writeFileSync(join(this.dir, 'state.json'), JSON.stringify({ pid: process.pid, netns }));
  }
}
