// A VM as a network namespace `xsim-<uuid>`: one veth per VIF, `vif<domid>.<device>` on the host's br-int (as xapi's
// vif-real/setup-vif-rules plug it) and `eth<device>` in the guest, addressed from xenstore like cloud-init would.
import { INTEGRATION_BRIDGE, type OvsHost } from './ovs-host.js';
import { inNetns, ipBatch, run } from './ovs-commands.js';

export interface VifSpec {
  device: number;
  vifUuid: string;
  networkUuid: string;
  mac: string;
  /** `a.b.c.d/prefix` from xenstore `vm-data/ip<device>`, if the control plane gave one. */
  ip: string | undefined;
}

export interface PluggedPort {
  device: number;
  name: string;
  mac: string;
  ip: string | undefined;
}

export const vmNetns = (vmUuid: string) => `xsim-${vmUuid}`;

/** Plugs every VIF; on any failure removes what it made and rethrows. */
export async function plugVm(host: OvsHost, vmUuid: string, domid: number, vifs: VifSpec[]): Promise<PluggedPort[]> {
  const ns = vmNetns(vmUuid);
  const ports: PluggedPort[] = [];
  try {
    await run('ip', ['netns', 'add', ns]).catch((e: Error) => {
      if (!/exists/.test(e.message)) throw e;
    });
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    for (const vif of vifs) await plugPort(host, vmUuid, domid, vif, ports);
    return ports;
  } catch (err) {
    await unplugVm(host, vmUuid, ports);
    throw err;
  }
}

/**
 * One VIF: the veth `vif<domid>.<device>` on br-int with xapi's external_ids and `eth<device>` in the guest (at start,
 * or hot-plugged by VIF.plug into a running VM); pushed onto `made` as soon as it exists, so a failure can undo it.
 */
export async function plugPort(host: OvsHost, vmUuid: string, domid: number, vif: VifSpec, made: PluggedPort[]): Promise<PluggedPort> {
  const ns = vmNetns(vmUuid);
  const name = `vif${domid}.${vif.device}`;
  const eth = `eth${vif.device}`;
  await run('ip', ['link', 'add', name, 'netns', host.netns, 'type', 'veth', 'peer', 'name', eth, 'netns', ns]);
  const port = { device: vif.device, name, mac: vif.mac, ip: vif.ip };
  made.push(port);
  await run('ip', ['-n', ns, 'link', 'set', eth, 'address', vif.mac]);
  if (vif.ip) await run('ip', ['-n', ns, 'addr', 'add', vif.ip, 'dev', eth]);
  await run('ip', ['-n', ns, 'link', 'set', eth, 'up']);
  await inNetns(ns, 'ethtool', ['-K', eth, 'tx', 'off']); // userspace datapath + veth checksum offload breaks TCP
  await run('ip', ['-n', host.netns, 'link', 'set', name, 'up']);
  // One transaction with the external_ids, as setup-vif-rules does; the reconciler keys on them.
  await host.vsctl(
    '--',
    '--if-exists',
    'del-port',
    name,
    '--',
    'add-port',
    INTEGRATION_BRIDGE,
    name,
    '--',
    'set',
    'Interface',
    name,
    `external_ids:xs-vif-uuid=${vif.vifUuid}`,
    `external_ids:xs-network-uuid=${vif.networkUuid}`,
    `external_ids:xs-vm-uuid=${vmUuid}`,
    `external_ids:attached-mac=${vif.mac}`,
  );
  return port;
}

/** One port off br-int and its veth (the guest's end goes with it); tolerant of anything already gone. */
export async function unplugPort(host: OvsHost, port: PluggedPort): Promise<void> {
  await host.vsctl('--if-exists', 'del-port', INTEGRATION_BRIDGE, port.name).catch(() => undefined);
  await run('ip', ['-n', host.netns, 'link', 'del', port.name]).catch(() => undefined);
}

/** Removes the ports from br-int, the veths and the guest namespace; tolerant of anything already gone. */
export async function unplugVm(host: OvsHost | undefined, vmUuid: string, ports: PluggedPort[]): Promise<void> {
  if (host) for (const p of ports) await unplugPort(host, p);
  await run('ip', ['netns', 'del', vmNetns(vmUuid)]).catch(() => undefined);
}

/**
 * Live migration, as xenopsd orders it: the destination's ports are plugged (on its br-int, with xapi's external_ids)
 * while the source still carries traffic, then the source domain goes and the guest's NICs lead to the destination.
 * A failure before the switch-over removes the destination's ports and leaves the source as it was.
 */
export async function movePorts(
  from: OvsHost,
  to: OvsHost,
  vmUuid: string,
  old: PluggedPort[],
  domid: number,
  vifs: VifSpec[],
): Promise<PluggedPort[]> {
  const ns = vmNetns(vmUuid);
  const staged: PluggedPort[] = [];
  try {
    for (const vif of vifs) {
      const name = `vif${domid}.${vif.device}`;
      await run('ip', ['link', 'add', name, 'netns', to.netns, 'type', 'veth', 'peer', 'name', `mig${vif.device}`, 'netns', ns]);
      staged.push({ device: vif.device, name, mac: vif.mac, ip: vif.ip });
      await run('ip', ['-n', ns, 'link', 'set', `mig${vif.device}`, 'address', vif.mac]);
      await inNetns(ns, 'ethtool', ['-K', `mig${vif.device}`, 'tx', 'off']);
      await run('ip', ['-n', to.netns, 'link', 'set', name, 'up']);
      await to.vsctl(
        '--',
        '--if-exists',
        'del-port',
        name,
        '--',
        'add-port',
        INTEGRATION_BRIDGE,
        name,
        '--',
        'set',
        'Interface',
        name,
        `external_ids:xs-vif-uuid=${vif.vifUuid}`,
        `external_ids:xs-network-uuid=${vif.networkUuid}`,
        `external_ids:xs-vm-uuid=${vmUuid}`,
        `external_ids:attached-mac=${vif.mac}`,
      );
    }
  } catch (err) {
    for (const p of staged) {
      await to.vsctl('--if-exists', 'del-port', INTEGRATION_BRIDGE, p.name).catch(() => undefined);
      await run('ip', ['-n', to.netns, 'link', 'del', p.name]).catch(() => undefined);
    }
    throw err;
  }
  // The switch-over: two `ip` processes, so the guest is off the wire for milliseconds.
  if (old.length > 0)
    await ipBatch(
      from.netns,
      old.map((p) => `link del ${p.name}`),
    );
  await ipBatch(
    ns,
    staged.flatMap((p) => [
      `link set mig${p.device} name eth${p.device}`,
      ...(p.ip ? [`addr add ${p.ip} dev eth${p.device}`] : []),
      `link set eth${p.device} up`,
    ]),
  );
  for (const p of old) await from.vsctl('--if-exists', 'del-port', INTEGRATION_BRIDGE, p.name).catch(() => undefined);
  return staged;
}
