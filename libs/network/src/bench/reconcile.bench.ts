// `npm run bench`: one host reconcile of 1,000 VIFs (10,000+ flows) into a real ovs-vswitchd, against
// `ovs-ofctl --bundle add-flows` of the very same flow file; the ratio is the reconciler's overhead
// (OVSDB read, desired state, flow generation, dump + diff). Then a no-change pass, which must send nothing and,
// comparing against the last applied flow set, dump nothing; and the periodic verify (dump + diff) for scale.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ovsUnavailable, startOvsSandbox } from '../testing/ovs-sandbox.js';
import { generateFlows } from '../flows/flow-generator.js';
import { flowText } from '../flows/flow-text.js';
import { desiredHostState } from '../reconciler/desired-state.js';
import { HostReconciler } from '../reconciler/host-reconciler.js';
import type { PoolDataplaneView } from '../reconciler/dataplane.types.js';
import { vifInterfacesFromCache } from '../ovsdb/vswitch.queries.js';
import { OvsdbClient } from '../ovsdb/ovsdb.client.js';
import { VSWITCH_DB } from '../ovsdb/vswitch.queries.js';
import { topologyMonitorSpec } from '../reconciler/ovs-topology.js';

const exec = promisify(execFile);
const PORTS = 1000;
const NETWORKS = 50;
const REMOTE_PER_NET = 80;
const rounds = 3;

const missing = await ovsUnavailable();
if (missing) {
  process.stderr.write(`reconcile bench skipped: ${missing}\n`);
  process.exit(0);
}

const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
const mac = (n: number) => `02:00:${hex((n >> 24) & 255, 2)}:${hex((n >> 16) & 255, 2)}:${hex((n >> 8) & 255, 2)}:${hex(n & 255, 2)}`;
const nets = Array.from({ length: NETWORKS }, (_, i) => ({ key: i + 1, vni: 10_000 + i, cidr: `10.${i}.0.0/16`, xapiUuid: `net-${i}` }));
const view: PoolDataplaneView = {
  hosts: [
    { id: 'h1', key: 1, tunnelIp: '172.31.0.1' },
    { id: 'h2', key: 2, tunnelIp: '172.31.0.2' },
  ],
  nics: [],
  bindings: [],
};
for (let i = 0; i < PORTS; i++) {
  const n = nets[i % NETWORKS];
  view.nics.push({
    vmId: `vm-${i}`,
    device: 0,
    portKey: i + 1,
    mac: mac(i + 1),
    ip: `10.${i % NETWORKS}.0.${Math.floor(i / NETWORKS) + 2}`,
    vmXapiUuid: `x-${i}`,
    network: n,
  });
}
for (let i = 0; i < NETWORKS * REMOTE_PER_NET; i++) {
  const n = nets[i % NETWORKS];
  view.nics.push({
    vmId: `rvm-${i}`,
    device: 0,
    portKey: 100_000 + i,
    mac: mac(0x10000000 + i),
    ip: `10.${i % NETWORKS}.200.${Math.floor(i / NETWORKS) + 2}`,
    vmXapiUuid: `rx-${i}`,
    network: n,
  });
  view.bindings.push({ vmId: `rvm-${i}`, device: 0, hostId: 'h2', iface: `vif${i}.0`, ofport: i + 1 });
}

const ovs = await startOvsSandbox({ dummyPorts: true });
const dir = await mkdtemp(join(tmpdir(), 'xp-bench-'));
try {
  // Plug 1,000 VIFs the way xapi does (external_ids on the Interface), in batches of one transaction each.
  for (let start = 0; start < PORTS; start += 250) {
    const args: string[] = [];
    for (let i = start; i < Math.min(PORTS, start + 250); i++) {
      const name = `vif${i + 1}.0`;
      args.push(
        '--',
        'add-port',
        ovs.bridge,
        name,
        '--',
        'set',
        'Interface',
        name,
        'type=dummy',
        `external_ids:xs-vif-uuid=v-${i}`,
        `external_ids:xs-network-uuid=net-${i % NETWORKS}`,
        `external_ids:xs-vm-uuid=x-${i}`,
        `external_ids:attached-mac=${mac(i + 1)}`,
      );
    }
    await ovs.vsctl(...args);
  }
  const rec = new HostReconciler({
    host: { id: 'h1', key: 1, tunnelIp: '172.31.0.1', ovsdb: ovs.db, openflow: ovs.target, bridge: ovs.bridge },
    loadView: async () => view,
    publishBindings: async () => undefined,
    log: { info: () => undefined, warn: (o, m) => process.stderr.write(`${m} ${JSON.stringify(o)}\n`) },
    canaryIntervalMs: 3_600_000,
    sweepIntervalMs: 3_600_000,
    debounceMs: 0,
  });
  await rec.start();
  await rec.idle();

  // The baseline file: exactly what the reconciler installs, from the same OVSDB state.
  const client = new OvsdbClient({ endpoint: ovs.db, reconnect: false });
  await client.connect();
  const mon = await client.monitor(VSWITCH_DB, topologyMonitorSpec());
  const tunnelOfport = Number((await ovs.vsctl('get', 'Interface', 'xpvx2', 'ofport')).trim());
  const desired = desiredHostState(view.hosts[0], ovs.bridge, view, vifInterfacesFromCache(mon.cache), new Map([['h2', tunnelOfport]]));
  await client.close();
  const flows = generateFlows(desired.state);
  const file = join(dir, 'flows');
  await writeFile(file, `${flows.map(flowText).join('\n')}\n`);

  const clear = () => exec('ovs-ofctl', ['-O', 'OpenFlow15', 'del-flows', ovs.target]);
  const time = async (fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const bundle: number[] = [];
  const reconcile: number[] = [];
  const noop: number[] = [];
  const verify: number[] = [];
  const pass = (reason: string) =>
    time(async () => {
      rec.trigger(reason);
      await rec.idle();
    });
  for (let r = 0; r < rounds; r++) {
    await clear();
    bundle.push(await time(() => exec('ovs-ofctl', ['-O', 'OpenFlow15', '--bundle', 'add-flows', ovs.target, file])));
    await clear();
    // What a wiped bridge gets: the missing canary makes the pass verify against a dump.
    reconcile.push(await pass('canary'));
    if (rec.lastPass?.added !== flows.length) throw new Error(`reconcile added ${rec.lastPass?.added}, expected ${flows.length}`);
    noop.push(await pass('bench'));
    if (rec.lastPass?.result !== 'unchanged' || rec.lastPass.verified) throw new Error('a no-change pass changed or dumped flows');
    verify.push(await pass('sweep'));
    if (rec.lastPass?.result !== 'unchanged' || !rec.lastPass.verified) throw new Error('a verify pass changed flows or did not dump');
  }
  await rec.stop();
  const best = (xs: number[]) => Math.min(...xs);
  const out = (metric: string, value: number, baseline: number, goal?: string) =>
    process.stdout.write(
      `${JSON.stringify({ bench: 'ovs-reconcile', metric, value: Math.round(value), unit: 'ms', baseline: Math.round(baseline), ratio: Number((value / baseline).toFixed(2)), goal })}\n`,
    );
  process.stderr.write(`${PORTS} VIFs, ${flows.length} flows\n`);
  out(`reconcile ${PORTS} ports (${flows.length} flows) vs ovs-ofctl --bundle add-flows`, best(reconcile), best(bundle));
  out('no-change pass (against the last applied set, nothing sent) vs bundle add-flows', best(noop), best(bundle), '<=0.3');
  out('periodic verify pass (dump + diff, nothing sent) vs bundle add-flows', best(verify), best(bundle));
} finally {
  await rm(dir, { recursive: true, force: true });
  await ovs.stop();
}
