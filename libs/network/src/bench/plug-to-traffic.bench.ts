// `npm run bench`: time from a VIF being plugged (xapi's one ovs-vsctl transaction) until its first ping reply, with
// the reconciler programming the secure bridge, vs the same plug on a standalone (NORMAL, no controller) bridge.
// The ratio is what isolation costs a new VM before it can talk.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { ovsUnavailable, startOvsSandbox } from '../testing/ovs-sandbox.js';
import type { PoolDataplaneView } from '../reconciler/dataplane.types.js';
import { HostReconciler } from '../reconciler/host-reconciler.js';

const exec = promisify(execFile);
const rounds = 5;
const missing =
  (await ovsUnavailable()) ??
  (await exec('ping', ['-V']).then(
    () => undefined,
    () => 'ping not installed',
  ));
if (missing) {
  process.stderr.write(`plug-to-traffic bench skipped: ${missing}\n`);
  process.exit(0);
}

const id = randomBytes(2).toString('hex');
const vms = [
  { ns: `xpb${id}-1`, dev: `xpb${id}a`, mac: '02:00:00:00:77:01', ip: '10.77.0.2', xuuid: 'bench-vm-1' },
  { ns: `xpb${id}-2`, dev: `xpb${id}b`, mac: '02:00:00:00:77:02', ip: '10.77.0.3', xuuid: 'bench-vm-2' },
];
const net = { key: 1, vni: 7700, cidr: '10.77.0.0/24', xapiUuid: 'bench-net' };
const view: PoolDataplaneView = {
  hosts: [{ id: 'h1', key: 1, tunnelIp: null }],
  nics: vms.map((v, i) => ({ vmId: `vm-${i}`, device: 0, portKey: i + 1, mac: v.mac, ip: v.ip, vmXapiUuid: v.xuuid, network: net })),
  bindings: [],
};

const ovs = await startOvsSandbox();
const ip = (...args: string[]) => exec('ip', args);
const plug = (v: (typeof vms)[number]) =>
  ovs.vsctl(
    'add-port',
    ovs.bridge,
    v.dev,
    '--',
    'set',
    'Interface',
    v.dev,
    'external_ids:xs-vif-uuid=vif-' + v.xuuid,
    `external_ids:xs-network-uuid=${net.xapiUuid}`,
    `external_ids:xs-vm-uuid=${v.xuuid}`,
    `external_ids:attached-mac=${v.mac}`,
  );
const unplug = (v: (typeof vms)[number]) => ovs.vsctl('--if-exists', 'del-port', ovs.bridge, v.dev);

/** Plugs vm 2 and returns ms until vm 1's 10 ms ping stream gets its first reply. */
async function plugToReply(): Promise<number> {
  const ping = spawn('ip', ['netns', 'exec', vms[0].ns, 'ping', '-n', '-D', '-i', '0.01', '-W', '1', vms[1].ip], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const first = new Promise<number>((resolve) => {
    let buf = '';
    ping.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /^\[(\d+\.\d+)\] \d+ bytes from/m.exec(buf);
      if (m) resolve(Number(m[1]) * 1000);
    });
  });
  await new Promise((r) => setTimeout(r, 100)); // the stream is running (and failing) before the plug
  const t0 = Date.now();
  await plug(vms[1]);
  const t1 = await Promise.race([first, new Promise<number>((_, rej) => setTimeout(() => rej(new Error('no reply within 10 s')), 10_000))]);
  ping.kill();
  return t1 - t0;
}

try {
  for (const v of vms) {
    await ip('netns', 'add', v.ns);
    await ip('link', 'add', v.dev, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', v.ns);
    await ip('link', 'set', v.dev, 'up');
    await ip('-n', v.ns, 'link', 'set', 'eth0', 'address', v.mac);
    await ip('-n', v.ns, 'addr', 'add', `${v.ip}/24`, 'dev', 'eth0');
    await ip('-n', v.ns, 'link', 'set', 'eth0', 'up');
    await ip('-n', v.ns, 'link', 'set', 'lo', 'up');
  }
  await plug(vms[0]);
  const rec = new HostReconciler({
    host: { id: 'h1', key: 1, tunnelIp: null, ovsdb: ovs.db, openflow: ovs.target, bridge: ovs.bridge },
    loadView: async () => view,
    publishBindings: async () => undefined,
    log: { info: () => undefined, warn: () => undefined },
    canaryIntervalMs: 3_600_000,
    sweepIntervalMs: 3_600_000,
  });
  await rec.start();
  const ours: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await unplug(vms[1]);
    await rec.idle();
    ours.push(await plugToReply());
  }
  await rec.stop();
  await exec('ovs-ofctl', ['-O', 'OpenFlow15', 'del-flows', ovs.target]);
  await ovs.vsctl('set', 'Bridge', ovs.bridge, 'fail_mode=standalone');
  const bare: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await unplug(vms[1]);
    await new Promise((res) => setTimeout(res, 200));
    bare.push(await plugToReply());
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const value = Math.round(median(ours));
  const baseline = Math.round(median(bare));
  process.stdout.write(
    `${JSON.stringify({ bench: 'ovs-plug-to-traffic', metric: 'VIF plug to first ping reply (median) vs standalone bridge', value, unit: 'ms', baseline, ratio: Number((value / baseline).toFixed(2)), goal: '<=3' })}\n`,
  );
} finally {
  for (const v of vms) await ip('netns', 'del', v.ns).catch(() => undefined);
  for (const v of vms) await ip('link', 'del', v.dev).catch(() => undefined);
  await ovs.stop();
}
