// Issue 16's proof with real packets: a provider network patched to each host's uplink, reached from an "outside"
// namespace on the underlay; anti-spoofing on provider NICs; two tenants on one CIDR and one provider network stay
// apart; a tenant network's gateway answers ARP and ping. Operators and tenants act through the REST API only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { eventually, xapi } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from '../stack.js';
import { inGuest, listen, pings, tcpConnects, type GuestVm } from './guest.js';
import { AccessSwitch } from './access-switch.js';
import { ovsSkipReason } from './ovs-prereqs.js';

const exec = promisify(execFile);
const skip = await ovsSkipReason();
const OUTSIDE_IP = '203.0.113.1';
const VLAN = 100;

describe('provider networks on Open vSwitch, end to end', { skip, timeout: 600_000 }, () => {
  let stack: Stack;
  const outside = `pn-out-${randomBytes(3).toString('hex')}`;
  const listeners: ChildProcess[] = [];
  let tenantA: ReturnType<typeof client>;
  let tenantB: ReturnType<typeof client>;
  let op: ReturnType<typeof client>;
  let providerId: string;
  let a1: GuestVm; // tenant A: private + provider
  let a2: GuestVm; // tenant A: private only
  let b1: GuestVm; // tenant B: private + provider

  const settled = (me: ReturnType<typeof client>, opId: string) =>
    eventually(
      `operation ${opId}`,
      async () => {
        const r = (await me('GET', `/v1/operations/${opId}`)).body;
        return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
      },
      60_000,
    );
  let flavorId: string;
  let imageId: string;
  const makeVm = async (me: ReturnType<typeof client>, name: string, networkIds: string[]): Promise<GuestVm> => {
    const r = await me('POST', '/v1/vms', { name, flavorId, imageId, networkIds });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await settled(me, r.body.operation.id)).status, 'succeeded');
    return (await me('GET', `/v1/vms/${r.body.vm.id}`)).body as GuestVm;
  };
  const publicIp = (vm: GuestVm) => vm.nics[1].ip;
  const inOutside = async (...cmd: string[]) => (await exec('ip', ['netns', 'exec', outside, ...cmd], { timeout: 20_000 })).stdout;
  const outsidePings = (ip: string) =>
    inOutside('ping', '-n', '-q', '-c', '2', '-i', '0.2', '-W', '1', ip).then(
      () => true,
      () => false,
    );
  const outsideConnects = (ip: string, port: number) =>
    inOutside('nc', '-z', '-w', '2', ip, String(port)).then(
      () => true,
      () => false,
    );
  let underlay: { netns: string; bridge: string };
  let accessSwitch: AccessSwitch | undefined;
  const neighbourOn = async (vm: GuestVm, dev: string, ip: string) =>
    /lladdr ([0-9a-f:]{17})/.exec(await inGuest(vm, 'ip', 'neigh', 'show', ip, 'dev', dev))?.[1];

  before(async () => {
    stack = await startStack({ SIM_NETWORK: 'ovs' }, { OVS_CANARY_INTERVAL_MS: '1000' });
    op = client(stack.api.url, OPERATOR_TOKEN);
    // The outside world: a namespace on the wire every host's uplink is plugged into, holding the provider gateway.
    const ovs = (await (await fetch(`${stack.sim.url}/sim/ovs`)).json()) as { underlay: { netns: string; bridge: string } };
    underlay = ovs.underlay;
    const peer = `po${randomBytes(3).toString('hex')}`;
    await exec('ip', ['netns', 'add', outside]);
    await exec('ip', ['link', 'add', 'eth0', 'netns', outside, 'type', 'veth', 'peer', 'name', peer, 'netns', ovs.underlay.netns]);
    await exec('ip', ['-n', ovs.underlay.netns, 'link', 'set', peer, 'master', ovs.underlay.bridge, 'up']);
    await exec('ip', ['-n', outside, 'addr', 'add', `${OUTSIDE_IP}/24`, 'dev', 'eth0']);
    await exec('ip', ['-n', outside, 'link', 'set', 'eth0', 'up']);
    await exec('ip', ['-n', outside, 'link', 'set', 'lo', 'up']);
    await inOutside('ethtool', '-K', 'eth0', 'tx', 'off');

    flavorId = (await op('POST', '/v1/flavors', { name: 'tiny', vcpus: 1, memoryMiB: 256, diskGiB: 10 })).body.id;
    imageId = (await op('POST', '/v1/images', { name: 'debian', template: 'Debian Bookworm 12' })).body.id;
    // The operator knows its pool's networks (xe network-list); the one on eth0 reaches the outside.
    const call = await xapi(stack.sim);
    const [eth0] = (await call('network.get_by_name_label', 'Pool-wide network associated with eth0')) as string[];
    const pn = await op('POST', '/v1/provider-networks', {
      name: 'public',
      cidr: '203.0.113.0/24',
      gateway: OUTSIDE_IP,
      allocationPools: [{ start: '203.0.113.10', end: '203.0.113.20' }],
      dnsServers: ['203.0.113.53'],
      xapiNetwork: await call('network.get_uuid', eth0),
    });
    assert.equal(pn.status, 202, JSON.stringify(pn.body));
    providerId = pn.body.id;
    await eventually(
      'provider network active',
      async () => ((await op('GET', `/v1/provider-networks/${providerId}`)).body.status === 'active' ? true : undefined),
      30_000,
    );
    const tenant = async (name: string) => {
      const t = await op('POST', '/v1/tenants', { name });
      const me = client(stack.api.url, (await op('POST', `/v1/tenants/${t.body.id}/api-keys`, { name: 'k', role: 'admin' })).body.token);
      // Security groups admit nothing new from outside by default: open the default group, as a public web host would.
      const groups = (await me('GET', '/v1/security-groups')).body.items as { id: string; isDefault: boolean }[];
      const rule = { direction: 'ingress', protocol: 'any', remoteCidr: '0.0.0.0/0' };
      assert.equal((await me('POST', `/v1/security-groups/${groups.find((g) => g.isDefault)!.id}/rules`, rule)).status, 201);
      return me;
    };
    tenantA = await tenant('red-corp');
    tenantB = await tenant('blue-corp');
    const network = async (me: ReturnType<typeof client>) => {
      const r = await me('POST', '/v1/networks', { name: 'lan', cidr: '10.0.0.0/24' });
      assert.equal((await settled(me, r.body.operation.id)).status, 'succeeded');
      return r.body.network.id as string;
    };
    const [netA, netB] = [await network(tenantA), await network(tenantB)];
    await makeVm(tenantB, 'b0', [netB]); // so that b1's private address is 10.0.0.3, as a2's is
    a1 = await makeVm(tenantA, 'a1', [netA, providerId]);
    b1 = await makeVm(tenantB, 'b1', [netB, providerId]);
    a2 = await makeVm(tenantA, 'a2', [netA]);
  });
  after(async () => {
    for (const l of listeners) l.kill();
    await accessSwitch?.stop();
    await exec('ip', ['netns', 'del', outside]).catch(() => undefined);
    await stack?.stop();
  });

  test('addresses come from the pools; both tenants share the private CIDR and the provider network', () => {
    assert.deepEqual([a1.nics[0].ip, a2.nics[0].ip, b1.nics[0].ip], ['10.0.0.2', '10.0.0.3', '10.0.0.3']);
    assert.deepEqual([publicIp(a1), publicIp(b1)], ['203.0.113.10', '203.0.113.11']);
  });

  test("the outside reaches a VM's provider address (ping and TCP), and the VM's own egress gets its replies", async () => {
    await eventually('outside -> a1', async () => ((await outsidePings(publicIp(a1))) ? true : undefined), 30_000);
    listeners.push(listen(a1, 8080));
    await eventually('TCP outside -> a1:8080', async () => ((await outsideConnects(publicIp(a1), 8080)) ? true : undefined), 10_000);
    assert.equal(await outsideConnects(publicIp(a1), 8081), false, 'nothing listens there');
    assert.equal(await pings(a1, OUTSIDE_IP), true, 'a1 reaches the outside and its replies come back');
    await eventually('outside -> b1', async () => ((await outsidePings(publicIp(b1))) ? true : undefined), 30_000);
    // The provider traffic left on the uplink untunnelled: the outside learned the VMs' own MACs.
    assert.equal(/lladdr ([0-9a-f:]{17})/.exec(await inOutside('ip', 'neigh', 'show', publicIp(a1)))?.[1], a1.nics[1].mac);
  });

  test('two tenants on the same CIDR and the same provider network stay isolated on their private networks', async () => {
    await eventually('a1 -> a2', async () => ((await pings(a1, a2.nics[0].ip)) ? true : undefined), 30_000);
    assert.equal(await neighbourOn(a1, 'eth0', '10.0.0.3'), a2.nics[0].mac, "10.0.0.3 is tenant A's a2, never B's b1");
    assert.equal(await pings(a1, '10.0.0.4'), false, 'an address only tenant B could have');
    // b1's private address through the shared provider network: a route via eth1 gets nowhere either.
    await inGuest(a1, 'ip', 'route', 'add', '10.99.0.0/24', 'dev', 'eth1');
    assert.equal(await pings(a1, '10.99.0.1'), false);
    await inGuest(a1, 'ip', 'route', 'del', '10.99.0.0/24', 'dev', 'eth1');
    listeners.push(listen(b1, 9090));
    assert.equal(await tcpConnects(a1, b1.nics[0].ip, 9090), false, "a1 reached b1's private port");
  });

  test("a VM claiming a neighbour's provider address or MAC is dropped", async () => {
    await eventually('a1 -> outside', async () => ((await pings(a1, OUTSIDE_IP)) ? true : undefined), 10_000);
    await inGuest(a1, 'ip', 'addr', 'add', `${publicIp(b1)}/32`, 'dev', 'eth1');
    assert.equal(await pings(a1, OUTSIDE_IP, { source: publicIp(b1) }), false, "b1's address from a1 got through");
    await inGuest(a1, 'ip', 'addr', 'del', `${publicIp(b1)}/32`, 'dev', 'eth1');
    await inGuest(a1, 'ip', 'link', 'set', 'eth1', 'address', b1.nics[1].mac);
    await inGuest(a1, 'ip', 'neigh', 'flush', 'dev', 'eth1');
    assert.equal(await pings(a1, OUTSIDE_IP), false, "b1's MAC from a1 got through");
    await inGuest(a1, 'ip', 'link', 'set', 'eth1', 'address', a1.nics[1].mac);
    await eventually('a1 back', async () => ((await pings(a1, OUTSIDE_IP)) ? true : undefined), 10_000);
    // The outside still knows b1's address at b1's MAC.
    await eventually('outside -> b1', async () => ((await outsidePings(publicIp(b1))) ? true : undefined), 10_000);
    assert.equal(/lladdr ([0-9a-f:]{17})/.exec(await inOutside('ip', 'neigh', 'show', publicIp(b1)))?.[1], b1.nics[1].mac);
  });

  test("a tenant network's gateway answers ARP and ping, from a distributed responder", async () => {
    await eventually('a2 -> 10.0.0.1', async () => ((await pings(a2, '10.0.0.1')) ? true : undefined), 30_000);
    assert.match((await neighbourOn(a2, 'eth0', '10.0.0.1')) ?? '', /^0a:5a:/);
    assert.equal(await pings(a1, '10.0.0.1'), true, 'on every host the network is on');
  });

  test('a provider NIC added to a running VM is reachable from outside, anti-spoofed, and unreachable once removed', async () => {
    const add = await tenantA('POST', `/v1/vms/${a2.id}/nics`, { networkId: providerId });
    assert.equal(add.status, 202, JSON.stringify(add.body));
    assert.equal((await settled(tenantA, add.body.operation.id)).status, 'succeeded');
    const nic = add.body.nic as { id: string; ip: string; mac: string; device: number };
    await eventually('outside -> a2 (hot-plugged)', async () => ((await outsidePings(nic.ip)) ? true : undefined), 30_000);
    assert.equal(/lladdr ([0-9a-f:]{17})/.exec(await inOutside('ip', 'neigh', 'show', nic.ip))?.[1], nic.mac);
    const dev = `eth${nic.device}`;
    assert.equal(await pings(a2, OUTSIDE_IP), true, "a2's own egress on the new NIC gets its replies");
    // The anti-spoofing flows cover the NIC added later as those made at create.
    await inGuest(a2, 'ip', 'addr', 'add', `${publicIp(b1)}/32`, 'dev', dev);
    assert.equal(await pings(a2, OUTSIDE_IP, { source: publicIp(b1) }), false, "b1's address from a2's added NIC got through");
    await inGuest(a2, 'ip', 'addr', 'del', `${publicIp(b1)}/32`, 'dev', dev);

    const del = await tenantA('DELETE', `/v1/vms/${a2.id}/nics/${nic.id}`);
    assert.equal(del.status, 202, JSON.stringify(del.body));
    assert.equal((await settled(tenantA, del.body.operation.id)).status, 'succeeded');
    await eventually('a2 unreachable from outside', async () => ((await outsidePings(nic.ip)) ? undefined : true), 30_000);
    assert.equal(await pings(a2, a1.nics[0].ip), true, 'its private NIC is untouched');
  });

  test('a VLAN provider network ({pif, vlan}) carries its traffic 802.1Q-tagged on the uplink: only that VLAN reaches the VM', async () => {
    const call = await xapi(stack.sim);
    const [eth0] = (await call('network.get_by_name_label', 'Pool-wide network associated with eth0')) as string[];
    const [pif] = (await call('network.get_PIFs', eth0)) as string[];
    const pn = await op('POST', '/v1/provider-networks', {
      name: 'tagged',
      cidr: '198.51.100.0/24',
      gateway: '198.51.100.1',
      allocationPools: [{ start: '198.51.100.10', end: '198.51.100.20' }],
      pif: await call('PIF.get_uuid', pif),
      vlan: VLAN,
    });
    assert.equal(pn.status, 202, JSON.stringify(pn.body));
    const active = await eventually(
      'VLAN provider network active',
      async () => {
        const n = (await op('GET', `/v1/provider-networks/${pn.body.id}`)).body;
        return n.status === 'active' ? n : undefined;
      },
      30_000,
    );
    assert.equal(active.bridge, 'xenbr0', 'the VLAN rides on the uplink bridge');
    // Three outside hosts on the same wire and subnet: on our VLAN and on another (access ports of a switch), and untagged.
    accessSwitch = await AccessSwitch.start(underlay);
    const tagged = await accessSwitch.host('198.51.100.1', VLAN);
    const untagged = await accessSwitch.host('198.51.100.2', null);
    const otherVlan = await accessSwitch.host('198.51.100.3', VLAN + 1);
    const v = await makeVm(tenantB, 'v1', [pn.body.id]);
    const ip = v.nics[0].ip;
    assert.equal(ip, '198.51.100.10');
    await eventually('VLAN host -> v1', async () => ((await tagged.pings(ip)) ? true : undefined), 30_000);
    assert.equal(await untagged.pings(ip), false, 'an untagged host reached the VM');
    assert.equal(await otherVlan.pings(ip), false, `VLAN ${VLAN + 1} reached the VM`);
    assert.equal(await pings(v, '198.51.100.1'), true);
    assert.equal(await pings(v, '198.51.100.2'), false);
    assert.equal(await pings(v, '198.51.100.3'), false);

    // On the VM's host's uplink (ul0 on xenbr0), the frames carry the tag.
    const sim = (await (await fetch(`${stack.sim.url}/sim/ovs`)).json()) as {
      hosts: { host: number; netns: string }[];
      vms: { uuid: string; host: number }[];
    };
    const hostNs = sim.hosts.find((h) => h.host === sim.vms.find((x) => x.uuid === v.xapiUuid)!.host)!.netns;
    const capture = execFile(
      'ip',
      ['netns', 'exec', hostNs, 'tcpdump', '-e', '-nn', '-l', '-c', '2', '-i', 'ul0', `vlan ${VLAN} and icmp and host ${ip}`],
      {
        timeout: 20_000,
      },
    );
    const seen = new Promise<string>((resolve, reject) => {
      let out = '';
      capture.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      capture.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`tcpdump exited ${code}: ${out}`))));
    });
    await new Promise<void>((resolve) => capture.stderr!.once('data', () => resolve())); // "listening on ul0"
    assert.equal(await tagged.pings(ip), true);
    const lines = await seen;
    assert.match(lines, new RegExp(`ethertype 802\\.1Q \\(0x8100\\).*vlan ${VLAN},.*198\\.51\\.100\\.1 > ${ip.replace(/\./g, '\\.')}`));
    assert.match(lines, new RegExp(`${v.nics[0].mac} > .*vlan ${VLAN},`), "the VM's reply leaves tagged, from its own MAC");
  });

  test('the provider network cannot be deleted while addresses are held; publicIps counts them', async () => {
    const r = await op('DELETE', `/v1/provider-networks/${providerId}`);
    assert.deepEqual([r.status, r.body.code, r.body.usedBy.addresses], [409, 'in_use', 2]);
    assert.equal((await tenantA('GET', '/v1/quota')).body.used.publicIps, 1);
    const del = await tenantA('DELETE', `/v1/vms/${a1.id}`);
    assert.equal((await settled(tenantA, del.body.operation.id)).status, 'succeeded');
    assert.equal((await tenantA('GET', '/v1/quota')).body.used.publicIps, 0);
    await eventually('a1 unreachable', async () => ((await outsidePings('203.0.113.10')) ? undefined : true), 30_000);
  });
});
