// Issue 16's proof with real packets, through the REST API only: stateful security groups on two simulated hosts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { eventually } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from '../stack.js';
import { listen, pings, tcpConnects, type GuestVm } from './guest.js';
import { ovsSkipReason } from './ovs-prereqs.js';
import { echoServer, echoSession } from './sg-session.js';

const exec = promisify(execFile);
const skip = await ovsSkipReason();

describe('stateful security groups on Open vSwitch, end to end', { skip, timeout: 600_000 }, () => {
  let stack: Stack;
  let me: ReturnType<typeof client>;
  let flavorId: string;
  let imageId: string;
  let net: string;
  const procs: ChildProcess[] = [];
  const g: Record<string, string> = {};
  const vm: Record<string, GuestVm> = {};
  const rule: Record<string, string> = {};

  const settled = (opId: string) =>
    eventually(
      `operation ${opId}`,
      async () => {
        const r = (await me('GET', `/v1/operations/${opId}`)).body;
        return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
      },
      60_000,
    );
  const makeVm = async (name: string, securityGroupIds?: string[]): Promise<GuestVm> => {
    const r = await me('POST', '/v1/vms', { name, flavorId, imageId, networkIds: [net], ...(securityGroupIds ? { securityGroupIds } : {}) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await settled(r.body.operation.id)).status, 'succeeded');
    return (await me('GET', `/v1/vms/${r.body.vm.id}`)).body as GuestVm;
  };
  const group = async (name: string, rules: Record<string, unknown>[]) => {
    const made = await me('POST', '/v1/security-groups', { name });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    for (const { name: label, ...r } of rules) {
      const added = await me('POST', `/v1/security-groups/${made.body.id}/rules`, r);
      assert.equal(added.status, 201, JSON.stringify(added.body));
      if (typeof label === 'string') rule[label] = added.body.id;
    }
    return made.body.id as string;
  };
  const ip = (v: GuestVm) => v.nics[0].ip;
  const opens = (from: GuestVm, to: GuestVm, port: number) =>
    eventually(`${from.name} -> ${to.name}:${port}`, async () => ((await tcpConnects(from, ip(to), port)) ? true : undefined), 30_000);
  const ownFlows = async (host: number) => {
    const h = ((await (await fetch(`${stack.sim.url}/sim/ovs`)).json()) as { hosts: { host: number; openflow: string }[] }).hosts.find(
      (x) => x.host === host,
    )!;
    const { stdout } = await exec('ovs-ofctl', [
      '-O',
      'OpenFlow15',
      '--no-stats',
      'dump-flows',
      h.openflow,
      'cookie=0x5a00000000000000/0xff00000000000000',
    ]);
    return stdout.split('\n').filter((l) => l.includes('cookie='));
  };
  /** The verdict matrix the tests establish; compared again after a vswitchd restart. */
  const verdicts = async () => ({
    web8080: await tcpConnects(vm.client, ip(vm.web), 8080),
    web8081: await tcpConnects(vm.client, ip(vm.web), 8081),
    web9090FromMember: await tcpConnects(vm.client, ip(vm.web), 9090),
    web9090FromOther: await tcpConnects(vm.open, ip(vm.web), 9090),
    webToOpen: await tcpConnects(vm.web, ip(vm.open), 7000),
    openToWeb: await tcpConnects(vm.open, ip(vm.web), 7000),
  });

  before(async () => {
    stack = await startStack({ SIM_NETWORK: 'ovs' }, { OVS_CANARY_INTERVAL_MS: '500' });
    const op = client(stack.api.url, OPERATOR_TOKEN);
    flavorId = (await op('POST', '/v1/flavors', { name: 'tiny', vcpus: 1, memoryMiB: 256, diskGiB: 10 })).body.id;
    imageId = (await op('POST', '/v1/images', { name: 'debian', template: 'Debian Bookworm 12' })).body.id;
    const t = await op('POST', '/v1/tenants', { name: 'sg-corp' });
    me = client(stack.api.url, (await op('POST', `/v1/tenants/${t.body.id}/api-keys`, { name: 'k', role: 'admin' })).body.token);
    const n = await me('POST', '/v1/networks', { name: 'lan', cidr: '10.0.0.0/24' });
    assert.equal((await settled(n.body.operation.id)).status, 'succeeded');
    net = n.body.network.id;
    g.clients = await group('clients', [{ direction: 'egress', protocol: 'any', remoteCidr: '0.0.0.0/0' }]);
    g.web = await group('web', [
      { name: 'http', direction: 'ingress', protocol: 'tcp', portMin: 8080, portMax: 8080, remoteCidr: '0.0.0.0/0' },
      { name: 'session', direction: 'ingress', protocol: 'tcp', portMin: 7100, portMax: 7100, remoteCidr: '10.0.0.0/24' },
      { name: 'fromClients', direction: 'ingress', protocol: 'tcp', portMin: 9090, portMax: 9099, remoteGroupId: g.clients },
      { direction: 'egress', protocol: 'any', remoteCidr: '0.0.0.0/0' },
    ]);
    g.open = await group('open', [
      { direction: 'ingress', protocol: 'any', remoteCidr: '0.0.0.0/0' },
      { direction: 'egress', protocol: 'any', remoteCidr: '0.0.0.0/0' },
    ]);
    vm.web = await makeVm('web', [g.web]);
    vm.client = await makeVm('client'); // the tenant's default group only
    vm.open = await makeVm('open', [g.open]);
    for (const port of [8080, 8081, 9090]) procs.push(listen(vm.web, port));
    procs.push(listen(vm.open, 7000), listen(vm.web, 7000), echoServer(vm.web, 7100));
  });
  after(async () => {
    for (const p of procs) p.kill();
    await stack?.stop();
  });

  test('NICs carry their groups: named ones, else the default group', async () => {
    assert.deepEqual(vm.web.nics[0], { ...vm.web.nics[0], securityGroupIds: [g.web] });
    const groups = (await me('GET', '/v1/security-groups')).body.items as { id: string; isDefault: boolean }[];
    assert.deepEqual((vm.client.nics[0] as { securityGroupIds?: string[] }).securityGroupIds, [groups.find((x) => x.isDefault)!.id]);
    assert.ok(new Set([vm.web, vm.client, vm.open].map((v) => v.hostId)).size === 2, 'the VMs use both hosts');
  });

  test('an allowed TCP port passes, another port of the same VM does not', async () => {
    await opens(vm.client, vm.web, 8080);
    assert.equal(await tcpConnects(vm.client, ip(vm.web), 8081), false, 'no rule admits 8081');
    assert.equal(await pings(vm.client, ip(vm.web)), false, 'no rule admits icmp');
  });

  test("replies to the VM's own egress pass; the same traffic the other way does not", async () => {
    await opens(vm.web, vm.open, 7000);
    assert.equal(await pings(vm.web, ip(vm.open)), true, 'echo replies come back to web');
    assert.equal(await tcpConnects(vm.open, ip(vm.web), 7000), false, 'open may not start a connection to web');
    assert.equal(await pings(vm.open, ip(vm.web)), false);
  });

  test('deleting the rule that allows an open session ends it within 1 s', async () => {
    await opens(vm.client, vm.web, 7100);
    const s = echoSession(vm.client, ip(vm.web), 7100);
    procs.push(s.proc);
    await eventually('session echoes', async () => (s.echoes.length >= 10 ? true : undefined), 10_000);
    const del = await me('DELETE', `/v1/security-groups/${g.web}/rules/${rule.session}`);
    assert.equal(del.status, 204);
    const deletedAt = Date.now();
    await new Promise((r) => setTimeout(r, 2500));
    const last = s.echoes.at(-1)!;
    assert.ok(last - deletedAt <= 1000, `the session still echoed ${last - deletedAt} ms after the delete`);
    assert.ok(s.echoes.filter((t) => t > deletedAt + 1000).length === 0);
    assert.equal(s.proc.exitCode, null, 'the client is still sending: the firewall, not the client, ended the session');
    assert.equal(await tcpConnects(vm.client, ip(vm.web), 7100), false, 'and no new session opens');
  });

  test('adding a member to a remote group opens traffic from it, and only from it', async () => {
    assert.equal(await tcpConnects(vm.client, ip(vm.web), 9090), false, 'client is not in "clients"');
    const nic = vm.client.nics[0] as unknown as { id: string; securityGroupIds: string[] };
    const put = await me('PUT', `/v1/vms/${vm.client.id}/nics/${nic.id}`, { securityGroupIds: [...nic.securityGroupIds, g.clients] });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(put.body.securityGroupIds, [...nic.securityGroupIds, g.clients].sort());
    await opens(vm.client, vm.web, 9090);
    assert.equal(await tcpConnects(vm.open, ip(vm.web), 9090), false, 'open is not a member');
    assert.equal(await tcpConnects(vm.client, ip(vm.web), 8081), false, 'the remote-group rule is 9090-9099 only');
    // A VM made in the group is a member from its first packet.
    const member = await makeVm('member', [g.clients]);
    await opens(member, vm.web, 9090);
  });

  test('verdicts are identical after ovs-vswitchd restarts on both hosts', async () => {
    const before = await verdicts();
    assert.deepEqual(before, { web8080: true, web8081: false, web9090FromMember: true, web9090FromOther: false, webToOpen: true, openToWeb: false });
    for (const h of [1, 2]) {
      const flows = (await ownFlows(h)).sort();
      assert.ok(flows.some((f) => f.includes('conjunction(')) && flows.some((f) => f.includes('ct(commit')), `host ${h} has security-group flows`);
      assert.equal((await fetch(`${stack.sim.url}/sim/ovs/hosts/${h}/restart-vswitchd`, { method: 'POST' })).status, 200);
      await eventually(
        `host ${h} flows restored`,
        async () => ((await ownFlows(h)).sort().join('\n') === flows.join('\n') ? true : undefined),
        30_000,
      );
    }
    await opens(vm.client, vm.web, 8080); // the tunnel neighbour may need a moment after the restart
    assert.deepEqual(await verdicts(), before);
  });
});
