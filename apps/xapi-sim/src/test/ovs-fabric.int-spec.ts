// SIM_NETWORK=ovs: each host runs its own OVS; starting a VM plugs its VIFs as xapi does, and the guest is a namespace.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startSimulator, type Simulator } from '../index.js';
import { ovsPrerequisiteMissing } from '../ovs/ovs-commands.js';
import { JsonRpc, control, login, templateRef } from '../testing/xapi-test-client.js';

const exec = promisify(execFile);
const missing = await ovsPrerequisiteMissing();
if (missing && process.env.CI === 'true') throw new Error(`CI=true but the OVS simulator tests cannot run: ${missing}`);

describe('the simulator with SIM_NETWORK=ovs', { skip: missing }, () => {
  let sim: Simulator;
  let json: JsonRpc;
  let s: string;
  let hosts: string[];
  before(async () => {
    sim = await startSimulator({ network: 'ovs', hosts: 2 });
    json = new JsonRpc(sim.url);
    s = await login(json);
    hosts = await Promise.all(sim.state.hostRefs.map(async (r) => r));
  });
  after(() => sim?.close());

  const vsctl = async (db: string, ...args: string[]) => (await exec('ovs-vsctl', [`--db=${db}`, ...args])).stdout;
  const guest = async (uuid: string, ...cmd: string[]) => (await exec('ip', ['netns', 'exec', `xsim-${uuid}`, ...cmd])).stdout;
  async function vmWithVif(name: string, ip: string, mac: string): Promise<{ ref: string; uuid: string; vif: string; net: string }> {
    const vm = await json.call('VM.clone', s, await templateRef(json, s), name);
    await json.call('VM.provision', s, vm);
    const net = await json.call('network.create', s, {
      name_label: `n-${name}`,
      name_description: '',
      MTU: 1500,
      other_config: {},
      tags: [],
      bridge: '',
    });
    const vif = await json.call('VIF.create', s, {
      device: '0',
      network: net,
      VM: vm,
      MAC: mac,
      MTU: 1500,
      other_config: {},
      qos_algorithm_type: '',
      qos_algorithm_params: {},
      locking_mode: 'unlocked',
      ipv4_allowed: [],
      ipv6_allowed: [],
    });
    await json.call('VM.add_to_xenstore_data', s, vm, 'vm-data/ip0', ip);
    return {
      ref: vm,
      uuid: await json.call('VM.get_uuid', s, vm),
      vif: await json.call('VIF.get_uuid', s, vif),
      net: await json.call('network.get_uuid', s, net),
    };
  }

  it("publishes each host's OVS endpoints in host other_config, with live sockets", async () => {
    for (const [i, ref] of hosts.entries()) {
      const oc = await json.call('host.get_other_config', s, ref);
      assert.match(oc['xenplane-ovsdb'], /^unix:\/tmp\/xsim-[0-9a-f]+\/h\d\/db\.sock$/);
      assert.equal(oc['xenplane-bridge'], 'br-int');
      assert.equal(oc['xenplane-tunnel-ip'], `172.31.0.${i + 1}`);
      assert.ok(existsSync(oc['xenplane-openflow'].slice('unix:'.length)));
      assert.equal((await vsctl(oc['xenplane-ovsdb'], 'get', 'Bridge', 'br-int', 'fail_mode')).trim(), 'secure');
    }
  });

  it("VM.start_on plugs vif<domid>.<device> with xapi's external_ids and a guest namespace with the MAC and IP; shutdown removes both", async () => {
    const vm = await vmWithVif('guest-1', '10.9.0.2/24', '02:00:00:aa:00:01');
    await json.call('VM.start_on', s, vm.ref, hosts[1], false, false);
    const domid = await json.call('VM.get_domid', s, vm.ref);
    const oc = await json.call('host.get_other_config', s, hosts[1]);
    const row = await vsctl(oc['xenplane-ovsdb'], '--columns=name,external_ids,ofport', 'list', 'Interface', `vif${domid}.0`);
    assert.match(row, new RegExp(`xs-vif-uuid="?${vm.vif}`));
    assert.match(row, new RegExp(`xs-vm-uuid="?${vm.uuid}`));
    assert.match(row, new RegExp(`xs-network-uuid="?${vm.net}`));
    assert.match(row, /attached-mac="02:00:00:aa:00:01"/);
    assert.match(row, /ofport\s+:\s+[1-9]/);
    const eth0 = await guest(vm.uuid, 'ip', 'addr', 'show', 'eth0');
    assert.match(eth0, /link\/ether 02:00:00:aa:00:01/);
    assert.match(eth0, /inet 10\.9\.0\.2\/24/);
    const described = (await control(sim.url, 'ovs')).body;
    assert.deepEqual(described.vms.find((v: { uuid: string }) => v.uuid === vm.uuid).ports, [
      { device: 0, name: `vif${domid}.0`, mac: '02:00:00:aa:00:01', ip: '10.9.0.2/24' },
    ]);

    await json.call('VM.hard_shutdown', s, vm.ref);
    assert.doesNotMatch(await vsctl(oc['xenplane-ovsdb'], 'list-ports', 'br-int'), /vif/);
    assert.doesNotMatch((await exec('ip', ['netns', 'list'])).stdout, new RegExp(`xsim-${vm.uuid}`));
  });

  it('VIF.plug on a running VM adds vif<domid>.<device> and eth<device> in the guest; VIF.unplug takes them off, the other NIC stays', async () => {
    const vm = await vmWithVif('guest-hot', '10.9.2.2/24', '02:00:00:aa:02:01');
    await json.call('VM.start_on', s, vm.ref, hosts[0], false, false);
    const domid = await json.call('VM.get_domid', s, vm.ref);
    const oc = await json.call('host.get_other_config', s, hosts[0]);
    const net = await json.call('network.get_by_uuid', s, vm.net);
    const vif = await json.call('VIF.create', s, {
      device: '1',
      network: net,
      VM: vm.ref,
      MAC: '02:00:00:aa:02:02',
      MTU: 1500,
      other_config: {},
      qos_algorithm_type: '',
      qos_algorithm_params: {},
      locking_mode: 'unlocked',
      ipv4_allowed: [],
      ipv6_allowed: [],
    });
    await json.call('VM.add_to_xenstore_data', s, vm.ref, 'vm-data/ip1', '10.9.3.2/24');
    await json.call('VIF.plug', s, vif);
    const row = await vsctl(oc['xenplane-ovsdb'], '--columns=external_ids', 'list', 'Interface', `vif${domid}.1`);
    assert.match(row, /attached-mac="02:00:00:aa:02:02"/);
    const eth1 = await guest(vm.uuid, 'ip', 'addr', 'show', 'eth1');
    assert.match(eth1, /link\/ether 02:00:00:aa:02:02/);
    assert.match(eth1, /inet 10\.9\.3\.2\/24/);

    await json.call('VIF.unplug', s, vif);
    const ports = await vsctl(oc['xenplane-ovsdb'], 'list-ports', 'br-int');
    assert.doesNotMatch(ports, new RegExp(`vif${domid}\\.1`));
    assert.match(ports, new RegExp(`vif${domid}\\.0`));
    assert.doesNotMatch(await guest(vm.uuid, 'ip', 'link'), /eth1/);
    assert.match(await guest(vm.uuid, 'ip', 'addr', 'show', 'eth0'), /inet 10\.9\.2\.2\/24/);
    await json.call('VM.hard_shutdown', s, vm.ref);
  });

  it("restart-vswitchd brings a host's vswitchd back with no flows but its ports", async () => {
    const vm = await vmWithVif('guest-2', '10.9.0.3/24', '02:00:00:aa:00:02');
    await json.call('VM.start_on', s, vm.ref, hosts[0], false, false);
    const before = (await control(sim.url, 'ovs')).body.hosts[0];
    await exec('ovs-ofctl', ['-O', 'OpenFlow15', 'add-flow', before.openflow, 'table=0,priority=5,actions=drop']);
    const r = await control(sim.url, 'ovs/hosts/1/restart-vswitchd', {});
    assert.equal(r.status, 200);
    const after = (await control(sim.url, 'ovs')).body.hosts[0];
    assert.notEqual(after.vswitchdPid, before.vswitchdPid);
    const flows = (await exec('ovs-ofctl', ['-O', 'OpenFlow15', 'dump-flows', after.openflow])).stdout;
    assert.doesNotMatch(flows, /priority=5/);
    assert.match(await vsctl(before.ovsdb, 'list-ports', 'br-int'), /vif\d+\.0/);
    assert.equal((await control(sim.url, 'ovs/hosts/9/restart-vswitchd', {})).status, 404);
    await json.call('VM.hard_shutdown', s, vm.ref);
    await json.call('VM.destroy', s, vm.ref);
  });

  // xenopsd's live migration creates the destination domain (its VIF backends, plugged on that host's OVS by
  // setup-vif-rules) before the source domain is destroyed (ocaml/xapi/xapi_vm_migrate.ml pool_migrate).
  it('VM.pool_migrate plugs the VIFs on the destination OVS before unplugging the source; a ping across loses at most a few packets', async () => {
    const peer = await vmWithVif('mig-peer', '10.9.1.2/24', '02:00:00:bb:00:01');
    const net = await json.call('network.get_by_uuid', s, peer.net);
    const moving = await json.call('VM.clone', s, await templateRef(json, s), 'mig-moving');
    await json.call('VM.provision', s, moving);
    await json.call('VIF.create', s, {
      device: '0',
      network: net,
      VM: moving,
      MAC: '02:00:00:bb:00:02',
      MTU: 1500,
      other_config: {},
      qos_algorithm_type: '',
      qos_algorithm_params: {},
      locking_mode: 'unlocked',
      ipv4_allowed: [],
      ipv6_allowed: [],
    });
    await json.call('VM.add_to_xenstore_data', s, moving, 'vm-data/ip0', '10.9.1.3/24');
    const movingUuid = await json.call('VM.get_uuid', s, moving);
    await json.call('VM.start_on', s, peer.ref, hosts[0], false, false);
    await json.call('VM.start_on', s, moving, hosts[0], false, false);
    // A plain learning switch on both hosts joined by a VXLAN port stands in for the control plane's flows.
    const { hosts: ovs } = (await control(sim.url, 'ovs')).body;
    for (const [i, h] of ovs.entries()) {
      await vsctl(h.ovsdb, 'add-port', 'br-int', 'vx-test', '--', 'set', 'Interface', 'vx-test', 'type=vxlan', `options:remote_ip=172.31.0.${2 - i}`);
      await exec('ovs-ofctl', ['-O', 'OpenFlow15', 'add-flow', h.openflow, 'priority=1,actions=NORMAL']);
    }
    const pingOnce = () =>
      guest(peer.uuid, 'ping', '-c', '1', '-W', '1', '10.9.1.3').then(
        () => true,
        () => false,
      );
    for (let i = 0; i < 20 && !(await pingOnce()); i++);
    assert.equal(await pingOnce(), true, 'the two guests reach each other before the migration');
    const oldDomid = await json.call('VM.get_domid', s, moving);
    const monitors = ovs.map((h: { ovsdb: string }) => execFile('ovsdb-client', ['monitor', '--timestamp', h.ovsdb, 'Interface', 'name']));
    const logs = monitors.map((m: ReturnType<typeof execFile>) => {
      let out = '';
      m.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      return () => out;
    });
    await new Promise((r) => setTimeout(r, 300)); // monitors connected
    const pinging = exec('ip', ['netns', 'exec', `xsim-${peer.uuid}`, 'ping', '-i', '0.01', '-w', '4', '-q', '10.9.1.3']).catch((e) => e);
    await new Promise((r) => setTimeout(r, 1000));
    await json.call('VM.pool_migrate', s, moving, hosts[1], {});
    const summary = String((await pinging).stdout);
    for (const m of monitors) m.kill();
    const newDomid = await json.call('VM.get_domid', s, moving);
    const row = await vsctl(ovs[1].ovsdb, '--columns=external_ids', 'list', 'Interface', `vif${newDomid}.0`);
    assert.match(row, new RegExp(`xs-vm-uuid="?${movingUuid}`));
    assert.doesNotMatch(await vsctl(ovs[0].ovsdb, 'list-ports', 'br-int'), new RegExp(`vif${oldDomid}\\.0`));
    assert.match(await guest(movingUuid, 'ip', 'addr', 'show', 'eth0'), /link\/ether 02:00:00:bb:00:02[\s\S]*inet 10\.9\.1\.3\/24/);
    // ovsdb-client --timestamp prints "<time>" lines before each update: the destination's insert comes first
    const when = (log: string, action: 'insert' | 'delete', name: string) => {
      let stamp = '';
      for (const line of log.split('\n')) {
        if (/^\d{4}-\d\d-\d\d /.test(line)) stamp = line.trim();
        else if (line.includes(name) && line.split(/\s+/).includes(action)) return stamp;
      }
      return undefined;
    };
    const plugged = when(logs[1]!(), 'insert', `vif${newDomid}.0`);
    const unplugged = when(logs[0]!(), 'delete', `vif${oldDomid}.0`);
    assert.ok(plugged && unplugged && plugged <= unplugged, `destination plugged at ${plugged}, source unplugged at ${unplugged}`);
    const [, sent, received] = /(\d+) packets transmitted, (\d+) received/.exec(summary) ?? [];
    assert.ok(Number(sent) > 100, summary);
    // The switch-over is two `ip` processes (~20 ms idle); the bound leaves room for a loaded CI machine, while
    // re-creating the guest (unplug, then plug) costs half a second and more.
    assert.ok(Number(sent) - Number(received) <= 30, `at most a few packets lost: ${summary}`);
    for (const h of ovs) await vsctl(h.ovsdb, '--if-exists', 'del-port', 'br-int', 'vx-test');
    await json.call('VM.hard_shutdown', s, moving);
    await json.call('VM.hard_shutdown', s, peer.ref);
  });

  it('close() leaves no namespaces, daemons or run directory behind', async () => {
    const dir = (await control(sim.url, 'ovs')).body.hosts[0].runDir.replace(/\/h1$/, '');
    const id = dir.split('/').pop();
    await sim.close();
    assert.doesNotMatch((await exec('ip', ['netns', 'list'])).stdout, new RegExp(id));
    assert.equal(existsSync(dir), false);
    assert.doesNotMatch((await exec('sh', ['-c', 'pgrep -af ovs || true'])).stdout, new RegExp(id));
  });
});

// Persistence with SIM_NETWORK=ovs: a VM that comes back running gets its namespace and port again, on its host.
describe('the simulator with SIM_NETWORK=ovs and a data dir, restarted', { skip: missing }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'xapi-sim-ovs-'));
  let sim: Simulator | undefined;
  after(async () => {
    await sim?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('re-plugs the VIFs of running VMs on the host they run on', async () => {
    sim = await startSimulator({ network: 'ovs', hosts: 2, dataDir });
    let json = new JsonRpc(sim.url);
    let s = await login(json);
    const vm = await json.call('VM.clone', s, await templateRef(json, s), 'comes-back');
    await json.call('VM.provision', s, vm);
    const [net] = await json.call('network.get_by_name_label', s, 'Pool-wide network associated with eth0');
    await json.call('VIF.create', s, {
      device: '0',
      network: net,
      VM: vm,
      MAC: '02:00:00:bb:00:01',
      MTU: 1500,
      other_config: {},
      qos_algorithm_type: '',
      qos_algorithm_params: {},
    });
    await json.call('VM.add_to_xenstore_data', s, vm, 'vm-data/ip0', '10.8.0.2/24');
    const host = sim.state.hostRefs[1];
    await json.call('VM.start_on', s, vm, host, false, false);
    const uuid = await json.call('VM.get_uuid', s, vm);
    await sim.state.persistence!.settle();
    await sim.close(); // unplugs every VM, as a host going down would

    sim = await startSimulator({ network: 'ovs', hosts: 2, dataDir });
    json = new JsonRpc(sim.url);
    s = await login(json);
    assert.equal(await json.call('VM.get_power_state', s, vm), 'Running');
    const domid = await json.call('VM.get_domid', s, vm);
    const oc = await json.call('host.get_other_config', s, host);
    const ports = (await exec('ovs-vsctl', [`--db=${oc['xenplane-ovsdb']}`, 'list-ports', 'br-int'])).stdout;
    assert.match(ports, new RegExp(`vif${domid}\\.0`));
    const eth0 = (await exec('ip', ['netns', 'exec', `xsim-${uuid}`, 'ip', 'addr', 'show', 'eth0'])).stdout;
    assert.match(eth0, /link\/ether 02:00:00:bb:00:01/);
    assert.match(eth0, /inet 10\.8\.0\.2\/24/);
  });
});
