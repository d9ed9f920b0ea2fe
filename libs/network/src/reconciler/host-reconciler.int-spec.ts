import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { eventually } from '@xenplane/testing';
import { CookieKind, cookieHex, makeCookie } from '../flows/cookie.js';
import { dumpOwnFlows } from '../flows/flow-applier.js';
import { ovsUnavailable, startOvsSandbox, type OvsSandbox } from '../testing/ovs-sandbox.js';
import type { NicBinding, PoolDataplaneView } from './dataplane.types.js';
import { HostReconciler } from './host-reconciler.js';

const exec = promisify(execFile);
const missing = await ovsUnavailable();
if (missing && process.env.CI === 'true') throw new Error(`CI=true but OVS tests cannot run: ${missing}`);

const net = { key: 7, vni: 5007, cidr: '10.0.0.0/24', xapiUuid: 'net-x' };
const macA = '02:00:00:00:00:0a';
const macB = '02:00:00:00:00:0b';
const SWEEP_MS = 1_000;

describe('host reconciler against a real ovsdb-server and ovs-vswitchd', { skip: missing }, () => {
  let ovs: OvsSandbox;
  let rec: HostReconciler;
  const published: NicBinding[][] = [];
  const port = `xt${randomBytes(3).toString('hex')}`;
  const view: PoolDataplaneView = {
    hosts: [
      { id: 'h1', key: 1, tunnelIp: '172.31.9.1' },
      { id: 'h2', key: 2, tunnelIp: '172.31.9.2' },
    ],
    nics: [
      { vmId: 'vm-a', device: 0, portKey: 11, mac: macA, ip: '10.0.0.2', vmXapiUuid: 'vmx-a', network: net },
      { vmId: 'vm-b', device: 0, portKey: 12, mac: macB, ip: '10.0.0.3', vmXapiUuid: 'vmx-b', network: net },
    ],
    bindings: [{ vmId: 'vm-b', device: 0, hostId: 'h2', iface: 'vif3.0', ofport: 5 }],
  };
  const flows = () => dumpOwnFlows({ target: ovs.target });
  const ofport = async (name: string) => Number((await ovs.vsctl('get', 'Interface', name, 'ofport')).trim());

  before(async () => {
    ovs = await startOvsSandbox();
    // Plugged the way xapi does: one transaction, external_ids on the Interface.
    await ovs.vsctl(
      'add-port',
      ovs.bridge,
      port,
      '--',
      'set',
      'Interface',
      port,
      'type=internal',
      'external_ids:xs-vif-uuid=vif-a',
      `external_ids:xs-network-uuid=${net.xapiUuid}`,
      'external_ids:xs-vm-uuid=vmx-a',
      `external_ids:attached-mac=${macA}`,
    );
    rec = new HostReconciler({
      host: { id: 'h1', key: 1, tunnelIp: '172.31.9.1', ovsdb: ovs.db, openflow: ovs.target, bridge: ovs.bridge },
      loadView: async () => structuredClone(view),
      publishBindings: async (_h, b) => void published.push(b),
      log: { info: () => undefined, warn: () => undefined },
      canaryIntervalMs: 200,
      sweepIntervalMs: SWEEP_MS,
    });
    await rec.start();
  });
  after(async () => {
    await rec?.stop();
    await ovs?.stop();
  });

  test('programs the plugged VIF, the tunnel to the other host and the remote MAC, and reports the binding', async () => {
    const tunnel = await eventually('tunnel ofport', async () => (await ofport('xpvx2').catch(() => -1)) > 0 && ofport('xpvx2'));
    assert.match(await ovs.vsctl('get', 'Interface', 'xpvx2', 'options'), /key=flow, remote_ip="172\.31\.9\.2"/);
    const local = await ofport(port);
    const text = await eventually('remote MAC flow', async () => {
      const f = (await flows()).join('\n');
      return f.includes(`dl_dst=${macB}`) && f;
    });
    assert.match(text, new RegExp(`in_port=${local}\\b.*set_field:0xb->reg5`));
    assert.match(text, new RegExp(`reg6=0x7,dl_dst=${macB}.*set_field:0x138f->tun_id,output:${tunnel}`));
    await rec.idle();
    assert.deepEqual(published.at(-1), [{ vmId: 'vm-a', device: 0, hostId: 'h1', iface: port, ofport: local }]);
  });

  test('a pass with nothing changed sends nothing', async () => {
    rec.trigger('test');
    await rec.idle();
    // verified: false: the pass compared against the last applied flow set, it dumped nothing.
    assert.deepEqual(rec.lastPass, { result: 'unchanged', added: 0, removed: 0, deferred: 0, verified: false });
  });

  test('flows deleted or changed behind our back (canary intact) are repaired by the periodic verify within the sweep period', async () => {
    await rec.idle();
    const before = await flows();
    const ofctl = (...args: string[]) => exec('ovs-ofctl', ['-O', 'OpenFlow15', ...args]);
    await ofctl('del-flows', ovs.target, `cookie=${cookieHex(makeCookie(CookieKind.Port, 11))}/-1`);
    await ofctl('mod-flows', ovs.target, `cookie=${cookieHex(makeCookie(CookieKind.Tunnel, 2))}/-1 actions=drop`);
    assert.notDeepEqual((await flows()).sort(), [...before].sort());
    const since = rec.passes.length;
    await eventually('flows repaired', async () => JSON.stringify((await flows()).sort()) === JSON.stringify([...before].sort()), 3 * SWEEP_MS);
    await rec.idle();
    const repair = rec.passes.slice(since).find((p) => p.result.result === 'changed');
    assert.ok(repair?.reason.includes('sweep') && repair.result.verified, `repaired by ${JSON.stringify(repair)}`);
  });

  test('fail_mode drift is put back to secure from the OVSDB change alone, and the flows with it', async () => {
    const before = await flows();
    await ovs.vsctl('set', 'Bridge', ovs.bridge, 'fail_mode=standalone');
    await eventually('fail_mode secure', async () => (await ovs.vsctl('get', 'Bridge', ovs.bridge, 'fail_mode')).trim() === 'secure');
    // vswitchd flushes a bridge's flows when its fail mode changes: the reconciler must notice and put them back.
    await eventually('flows back', async () => (await flows()).length === before.length);
    await rec.idle();
    assert.deepEqual((await flows()).sort(), [...before].sort(), 'the same flows (re-adding may change their dump order)');
  });

  test('lost flows (vswitchd restart) are noticed through the canary and reinstalled; foreign flows are left alone', async () => {
    const before = await flows();
    await exec('ovs-ofctl', ['-O', 'OpenFlow15', 'del-flows', ovs.target]);
    await exec('ovs-ofctl', ['-O', 'OpenFlow15', 'add-flow', ovs.target, 'table=0,priority=5,cookie=0x1,in_port=99 actions=drop']);
    await eventually('flows back', async () => (await flows()).length === before.length);
    assert.deepEqual((await flows()).sort(), [...before].sort());
    assert.ok(rec.passes.some((p) => p.reason.includes('canary')));
    const all = (await exec('ovs-ofctl', ['-O', 'OpenFlow15', 'dump-flows', ovs.target])).stdout;
    assert.match(all, /cookie=0x1,.*in_port=99/);
  });

  test('unplugging the VIF removes its flows and its binding; a host leaving removes our tunnel to it', async () => {
    await ovs.vsctl('del-port', ovs.bridge, port);
    await eventually('port flows gone', async () => !(await flows()).some((f) => f.includes('reg5=0xb') || f.includes('0xb->reg5')));
    await rec.idle();
    assert.deepEqual(published.at(-1), []);
    view.hosts = view.hosts.filter((h) => h.id !== 'h2');
    rec.trigger('db');
    await eventually('tunnel removed', async () => !(await ovs.vsctl('list-ports', ovs.bridge)).includes('xpvx2'));
  });
});
