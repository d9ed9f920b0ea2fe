// Issue 6's proof with real packets: tenants on the same CIDR across two simulated hosts, through the REST API only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { eventually, startProcess } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from '../stack.js';
import { forgeArpReply, inGuest, listen, neighbour, pings, tcpConnects, type GuestVm } from './guest.js';
import { ovsSkipReason } from './ovs-prereqs.js';

const exec = promisify(execFile);
const skip = await ovsSkipReason();

describe('tenant isolation on Open vSwitch, end to end', { skip, timeout: 600_000 }, () => {
  let stack: Stack;
  let simOvs: () => Promise<{ hosts: { host: number; openflow: string }[] }>;
  const listeners: ChildProcess[] = [];
  const A: GuestVm[] = [];
  const B: GuestVm[] = [];
  let tenantA: ReturnType<typeof client>;
  let tenantB: ReturnType<typeof client>;
  let flavorId: string;
  let imageId: string;
  let netA: string;
  let netB: string;

  const settled = (me: ReturnType<typeof client>, opId: string) =>
    eventually(
      `operation ${opId}`,
      async () => {
        const r = (await me('GET', `/v1/operations/${opId}`)).body;
        return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
      },
      60_000,
    );
  const makeVm = async (me: ReturnType<typeof client>, name: string, networkId: string): Promise<GuestVm> => {
    const r = await me('POST', '/v1/vms', { name, flavorId, imageId, networkIds: [networkId] });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await settled(me, r.body.operation.id)).status, 'succeeded');
    return (await me('GET', `/v1/vms/${r.body.vm.id}`)).body as GuestVm;
  };
  const ip = (vm: GuestVm) => vm.nics[0].ip;
  const mac = (vm: GuestVm) => vm.nics[0].mac;
  /** Positive reachability waits for the reconciler (a VIF is isolated until its flows land). */
  const reachable = (from: GuestVm, to: GuestVm) =>
    eventually(`${from.name} -> ${to.name}`, async () => ((await pings(from, ip(to))) ? true : undefined), 30_000);
  const ownFlows = async (host: number) => {
    const h = (await simOvs()).hosts.find((x) => x.host === host)!;
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
  let hostIndexByUuid: Map<string, number>;
  /** The simulator's host number (its address is 127.0.0.<k>) of the host a VM runs on. */
  const hostIndex = (vm: GuestVm) => hostIndexByUuid.get(vm.hostXapiUuid)!;

  before(async () => {
    stack = await startStack({ SIM_NETWORK: 'ovs' }, { OVS_CANARY_INTERVAL_MS: '1000' });
    simOvs = async () => (await fetch(`${stack.sim.url}/sim/ovs`)).json() as never;
    const op = client(stack.api.url, OPERATOR_TOKEN);
    flavorId = (await op('POST', '/v1/flavors', { name: 'tiny', vcpus: 1, memoryMiB: 256, diskGiB: 10 })).body.id;
    imageId = (await op('POST', '/v1/images', { name: 'debian', template: 'Debian Bookworm 12' })).body.id;
    const tenant = async (name: string) => {
      const t = await op('POST', '/v1/tenants', { name });
      return client(stack.api.url, (await op('POST', `/v1/tenants/${t.body.id}/api-keys`, { name: 'k', role: 'admin' })).body.token);
    };
    tenantA = await tenant('red-corp');
    tenantB = await tenant('blue-corp');
    const network = async (me: ReturnType<typeof client>) => {
      const r = await me('POST', '/v1/networks', { name: 'lan', cidr: '10.0.0.0/24' });
      assert.equal((await settled(me, r.body.operation.id)).status, 'succeeded');
      return r.body.network.id as string;
    };
    netA = await network(tenantA);
    netB = await network(tenantB);
    // Alternating creates spread VMs over both hosts (placement picks the host with the most free memory).
    for (let i = 1; i <= 3; i++) A.push(await makeVm(tenantA, `a${i}`, netA));
    for (let i = 1; i <= 4; i++) B.push(await makeVm(tenantB, `b${i}`, netB));
    const hosts = (await op('GET', '/v1/hosts')).body.items as { xapiUuid: string; address: string }[];
    hostIndexByUuid = new Map(hosts.map((h) => [h.xapiUuid, Number(h.address.split('.').at(-1))]));
  });
  after(async () => {
    for (const l of listeners) l.kill();
    await stack?.stop();
  });

  test('same CIDR for both tenants, VMs on both hosts', () => {
    assert.deepEqual(A.map(ip), ['10.0.0.2', '10.0.0.3', '10.0.0.4']);
    assert.deepEqual(B.map(ip), ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5']);
    const hosts = [...new Set([...A, ...B].map((v) => v.hostId))];
    assert.equal(hosts.length, 2, 'VMs spread over both hosts');
    const hostsOfA = A.map((v) => v.hostId);
    assert.ok(new Set(hostsOfA).size === 2 && hostsOfA.length > new Set(hostsOfA).size, 'tenant A has a same-host and a cross-host pair');
  });

  test('every same-network pair pings, on one host and across the VXLAN tunnel, both ways', async () => {
    for (const group of [A, B]) {
      for (const from of group) for (const to of group) if (from !== to) await reachable(from, to);
    }
    // The neighbour each guest learned is its own tenant's VM, never the other tenant's twin address.
    for (const from of A) for (const to of A) if (from !== to) assert.equal(await neighbour(from, ip(to)), mac(to));
  });

  test('no cross-tenant pair reaches the other: an address only tenant B has is unreachable from every A guest', async () => {
    const onlyB = B[3];
    for (const from of A) assert.equal(await pings(from, ip(onlyB)), false, `${from.name} must not reach ${onlyB.name}`);
    for (const from of B) assert.equal((await neighbour(from, ip(A[0]))) === mac(A[0]), false);
  });

  test('TCP to an open port works within a network and fails across tenants', async () => {
    listeners.push(listen(A[1], 7001), listen(B[1], 7002), listen(B[3], 7003));
    await eventually('listener up', async () => ((await tcpConnects(A[0], ip(A[1]), 7001)) ? true : undefined), 10_000);
    assert.equal(await tcpConnects(A[2], ip(A[1]), 7001), true);
    assert.equal(await tcpConnects(B[0], ip(B[1]), 7002), true);
    // Same address 10.0.0.3 in both tenants: each side only ever reaches its own listener.
    for (const from of A) assert.equal(await tcpConnects(from, ip(B[1]), 7002), false, `${from.name} reached tenant B's port`);
    for (const from of B) if (from !== B[1]) assert.equal(await tcpConnects(from, ip(A[1]), 7001), false, `${from.name} reached tenant A's port`);
    // An address only tenant B has: B connects, no A guest (same host or across the tunnel) gets a SYN through.
    await eventually('B listener up', async () => ((await tcpConnects(B[0], ip(B[3]), 7003)) ? true : undefined), 10_000);
    for (const from of A) assert.equal(await tcpConnects(from, ip(B[3]), 7003), false, `${from.name} reached ${B[3].name}`);
  });

  test('spoofing from inside a guest is dropped: another source IP, another MAC, a forged ARP reply', async () => {
    const [attacker, target, victim] = A as [GuestVm, GuestVm, GuestVm];
    await inGuest(attacker, 'ip', 'addr', 'add', '10.0.0.50/24', 'dev', 'eth0');
    assert.equal(await pings(attacker, ip(target), { source: '10.0.0.50' }), false, 'spoofed source IP got through');
    assert.equal(await neighbour(target, '10.0.0.50'), undefined);
    await inGuest(attacker, 'ip', 'addr', 'del', '10.0.0.50/24', 'dev', 'eth0');

    await inGuest(attacker, 'ip', 'link', 'set', 'eth0', 'address', '02:de:ad:be:ef:01');
    await inGuest(attacker, 'ip', 'neigh', 'flush', 'dev', 'eth0');
    assert.equal(await pings(attacker, ip(target)), false, 'spoofed MAC got through');
    await inGuest(attacker, 'ip', 'link', 'set', 'eth0', 'address', mac(attacker));
    await reachable(attacker, target);

    await reachable(victim, target);
    assert.equal(await neighbour(victim, ip(target)), mac(target));
    await forgeArpReply(attacker, ip(target), mac(attacker), { ip: ip(victim), mac: mac(victim) });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await neighbour(victim, ip(target)), mac(target), "the victim's neighbour table was poisoned");
  });

  test('ovs-vswitchd restarts on a host: its flows are gone, the canary brings them back, traffic flows again', async () => {
    const h = hostIndex(A[0]);
    const before = await ownFlows(h);
    const res = await fetch(`${stack.sim.url}/sim/ovs/hosts/${h}/restart-vswitchd`, { method: 'POST' });
    assert.equal(res.status, 200);
    await eventually('flows restored', async () => ((await ownFlows(h)).length === before.length ? true : undefined), 30_000);
    assert.deepEqual((await ownFlows(h)).sort(), before.sort());
    const metrics = await (await fetch(`${stack.worker.url}/metrics`)).text();
    assert.match(metrics, /xenplane_dataplane_drift_total\{host="[^"]+",kind="canary_missing"\} [1-9]/);
    for (const to of A.slice(1)) await reachable(A[0], to);
  });

  test('deleting a VM removes its flows on its host and returns its IP to the pool', async () => {
    const gone = B[3];
    const h = hostIndex(gone);
    assert.ok((await ownFlows(h)).some((f) => f.includes(mac(gone))));
    const del = await tenantB('DELETE', `/v1/vms/${gone.id}`);
    assert.equal((await settled(tenantB, del.body.operation.id)).status, 'succeeded');
    await eventually(
      'flows gone',
      async () => (!(await ownFlows(1)).concat(await ownFlows(2)).some((f) => f.includes(mac(gone))) ? true : undefined),
      30_000,
    );
    const again = await makeVm(tenantB, 'b5', netB);
    assert.equal(ip(again), ip(gone));
    await reachable(again, B[0]);
  });

  test('a NIC added to a running VM reaches its new network; removed, it no longer answers and its address is free again', async () => {
    const r = await tenantA('POST', '/v1/networks', { name: 'lan-2', cidr: '10.0.1.0/24' });
    assert.equal((await settled(tenantA, r.body.operation.id)).status, 'succeeded');
    const peer = await makeVm(tenantA, 'a-peer', r.body.network.id);
    const added = await tenantA('POST', `/v1/vms/${A[0].id}/nics`, { networkId: r.body.network.id });
    assert.equal(added.status, 202, JSON.stringify(added.body));
    assert.equal((await settled(tenantA, added.body.operation.id)).status, 'succeeded');
    const nic = (await tenantA('GET', `/v1/vms/${A[0].id}/nics`)).body.items[1];
    assert.deepEqual([nic.status, nic.device, nic.ip], ['attached', 1, '10.0.1.3']);
    await eventually('peer -> the new NIC', async () => ((await pings(peer, nic.ip)) ? true : undefined), 30_000);
    assert.ok(await pings(A[0], ip(A[1])), 'its first NIC still carries traffic');

    const removed = await tenantA('DELETE', `/v1/vms/${A[0].id}/nics/${nic.id}`);
    assert.equal((await settled(tenantA, removed.body.operation.id)).status, 'succeeded');
    assert.equal(await pings(peer, nic.ip), false, 'the removed NIC is gone from the guest');
    const next = await makeVm(tenantA, 'a-next', r.body.network.id);
    assert.equal(ip(next), nic.ip, 'its address went back to the network');
  });

  test("one reconciler per host across workers: a killed owner's hosts are taken over and kept repaired", async () => {
    const second = startProcess('apps/worker/dist/main.js', { ...stack.env, WORKER_PORT: '0', WORKER_HOST: '127.0.0.1' }, 'worker-2');
    try {
      const url2 = `http://127.0.0.1:${String((await second.waitForLog((l) => l.msg === 'worker listening')).port)}`;
      const owned = async (url: string) => Number(/^xenplane_dataplane_hosts_owned (\d+)$/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1]);
      await new Promise((r) => setTimeout(r, 1500)); // a few claim rounds (RECONCILE_CLAIM_INTERVAL_MS=500)
      assert.deepEqual([await owned(stack.worker.url), await owned(url2)], [2, 0]);
      await stack.worker.stop('SIGKILL'); // its lock session dies with it
      await eventually('takeover', async () => ((await owned(url2)) === 2 ? true : undefined), 30_000);
      const h = hostIndex(A[0]);
      const before = await ownFlows(h);
      assert.equal((await fetch(`${stack.sim.url}/sim/ovs/hosts/${h}/restart-vswitchd`, { method: 'POST' })).status, 200);
      await eventually('flows restored by the new owner', async () => ((await ownFlows(h)).length === before.length ? true : undefined), 30_000);
      for (const to of A.slice(1)) await reachable(A[0], to);
    } finally {
      await second.stop();
    }
  });
});
