// `npm run bench`: security groups on one host, 1,000 VIFs in 100 groups holding 10,000 rules (a fifth of them
// remote-group rules), compiled and applied by a reconcile into a real ovs-vswitchd, against `ovs-ofctl --bundle
// add-flows` of the very same flow file (issue 16's goal: ratio <= 2.0). Then a pass after one rule is deleted.
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
import type { DataplaneSgRule, PoolDataplaneView } from '../reconciler/dataplane.types.js';
import { vifInterfacesFromCache } from '../ovsdb/vswitch.queries.js';
import { OvsdbClient } from '../ovsdb/ovsdb.client.js';
import { VSWITCH_DB } from '../ovsdb/vswitch.queries.js';
import { topologyMonitorSpec } from '../reconciler/ovs-topology.js';

const exec = promisify(execFile);
const PORTS = 1000;
const NETWORKS = 10;
const REMOTE_PER_NET = 4;
const GROUPS = 100;
const RULES_PER_GROUP = 100;
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

// Each port in two groups; each group: 80 CIDR rules (tcp/udp ranges, ingress and egress) and 20 remote-group rules.
const groups = Array.from({ length: GROUPS }, (_, g) => ({
  key: g + 1,
  rules: Array.from({ length: RULES_PER_GROUP }, (_, r): DataplaneSgRule => {
    const key = g * RULES_PER_GROUP + r + 1;
    const base = { key, direction: r % 2 ? ('egress' as const) : ('ingress' as const), portMin: 1000 + r * 10, portMax: 1000 + r * 10 + (r % 7) };
    return r < 80
      ? { ...base, protocol: r % 3 ? 'tcp' : 'udp', remoteCidr: `10.${r % 50}.${g}.0/24`, remoteGroupKey: null }
      : { ...base, protocol: 'tcp', remoteCidr: null, remoteGroupKey: ((g + r) % GROUPS) + 1 };
  }),
}));
view.security = {
  groups,
  memberships: Array.from({ length: PORTS }, (_, i) => [
    { vmId: `vm-${i}`, device: 0, groupKey: (i % GROUPS) + 1 },
    { vmId: `vm-${i}`, device: 0, groupKey: ((i * 7 + 3) % GROUPS) + 1 },
  ]).flat(),
};
const ruleCount = groups.reduce((n, g) => n + g.rules.length, 0);

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
  const revoke: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await clear();
    bundle.push(await time(() => exec('ovs-ofctl', ['-O', 'OpenFlow15', '--bundle', 'add-flows', ovs.target, file])));
    await clear();
    reconcile.push(
      await time(async () => {
        rec.trigger('canary'); // a wiped bridge: the missing canary makes the pass verify against a dump
        await rec.idle();
      }),
    );
    if (rec.lastPass?.added !== flows.length) throw new Error(`reconcile added ${rec.lastPass?.added}, expected ${flows.length}`);
    noop.push(
      await time(async () => {
        rec.trigger('bench');
        await rec.idle();
      }),
    );
    if (rec.lastPass?.result !== 'unchanged') throw new Error('a no-change pass changed flows');
    // One rule deleted (a remote-group rule of a busy group): the pass that revokes it.
    const removed = groups[r].rules.pop()!;
    revoke.push(
      await time(async () => {
        rec.trigger('bench');
        await rec.idle();
      }),
    );
    groups[r].rules.push(removed);
    if ((rec.lastPass as { result: string } | undefined)?.result !== 'changed') throw new Error('deleting a rule changed no flow');
    rec.trigger('bench');
    await rec.idle();
  }
  await rec.stop();
  const best = (xs: number[]) => Math.min(...xs);
  const out = (metric: string, value: number, baseline: number, goal?: string) =>
    process.stdout.write(
      `${JSON.stringify({ bench: 'security-groups', metric, value: Math.round(value), unit: 'ms', baseline: Math.round(baseline), ratio: Number((value / baseline).toFixed(2)), goal })}\n`,
    );
  process.stderr.write(`${PORTS} VIFs, ${ruleCount} rules, ${flows.length} flows\n`);
  out(
    `compile + apply ${PORTS} ports with ${ruleCount} rules (${flows.length} flows) vs ovs-ofctl --bundle add-flows`,
    best(reconcile),
    best(bundle),
    '<=2', // issue 16
  );
  out('no-change pass vs bundle add-flows', best(noop), best(bundle));
  out('pass after deleting one rule vs bundle add-flows', best(revoke), best(bundle));
} finally {
  await rm(dir, { recursive: true, force: true });
  await ovs.stop();
}
