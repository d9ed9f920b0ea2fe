// Issue 16 over the real processes: a tenant adds a NIC on an operator's provider network to a running VM and removes
// it, through the REST API only. The VIF lands on the provider's XAPI network; the public address and its publicIps
// quota are held from the request to the removal's success and given back once (also when a hot-plug is refused).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { eventually, simControl, xapi } from '@xenplane/testing';
import { settler } from './settle.js';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

describe('NICs on provider networks, added and removed over the API', { timeout: 300_000 }, () => {
  let stack: Stack;
  let db: pg.Pool;
  let op: ReturnType<typeof client>;
  let me: ReturnType<typeof client>;
  let settle: ReturnType<typeof settler>;
  let tenantId: string;
  let providerId: string;
  let eth0Uuid: string;
  let flavorId: string;
  let imageId: string;
  const runningVm = async (name: string): Promise<{ id: string; xapiUuid: string }> => {
    const made = await settle(await me('POST', '/v1/vms', { name, flavorId, imageId }));
    return (await me('GET', `/v1/vms/${made.vm.id}`)).body;
  };
  const publicIps = async () => (await me('GET', '/v1/quota')).body.used.publicIps as number;
  const nicsOf = async (vmId: string) => (await me('GET', `/v1/vms/${vmId}/nics`)).body.items as { id: string; ip: string; status: string }[];
  /** The VM's VIFs on the pool: the network each is on, and its MAC. */
  const vifsOn = async (xapiUuid: string) => {
    const call = await xapi(stack.sim);
    const ref = await call('VM.get_by_uuid', xapiUuid);
    const out: { network: string; mac: string }[] = [];
    for (const v of (await call('VM.get_VIFs', ref)) as string[]) {
      const r = (await call('VIF.get_record', v)) as { network: string; MAC: string };
      out.push({ network: (await call('network.get_uuid', r.network)) as string, mac: r.MAC });
    }
    return out;
  };
  const ipEvents = async (ip: string) =>
    (
      await db.query(`SELECT kind FROM usage_events WHERE resource_type = 'public-ip' AND tenant_id = $1 AND attrs->>'name' = $2 ORDER BY id`, [
        tenantId,
        ip,
      ])
    ).rows.map((r) => r.kind);

  before(async () => {
    stack = await startStack();
    db = new pg.Pool({ connectionString: stack.db.url, max: 2 });
    op = client(stack.api.url, OPERATOR_TOKEN);
    flavorId = (await op('POST', '/v1/flavors', { name: 'pnic', vcpus: 1, memoryMiB: 256, diskGiB: 10 })).body.id;
    imageId = (await op('POST', '/v1/images', { name: 'pnic-deb', template: 'Debian Bookworm 12' })).body.id;
    const call = await xapi(stack.sim);
    const [eth0] = (await call('network.get_by_name_label', 'Pool-wide network associated with eth0')) as string[];
    eth0Uuid = (await call('network.get_uuid', eth0)) as string;
    const pn = await op('POST', '/v1/provider-networks', {
      name: 'public',
      cidr: '203.0.113.0/24',
      gateway: '203.0.113.1',
      allocationPools: [{ start: '203.0.113.10', end: '203.0.113.11' }],
      xapiNetwork: eth0Uuid,
    });
    assert.equal(pn.status, 202, JSON.stringify(pn.body));
    providerId = pn.body.id;
    await eventually('provider network active', async () =>
      (await op('GET', `/v1/provider-networks/${providerId}`)).body.status === 'active' ? true : undefined,
    );
    const t = await op('POST', '/v1/tenants', { name: 'public-co', quota: { publicIps: 5 } });
    tenantId = t.body.id;
    me = client(stack.api.url, (await op('POST', `/v1/tenants/${tenantId}/api-keys`, { name: 'k', role: 'admin' })).body.token);
    settle = settler(me);
  });
  after(async () => {
    await db?.end();
    await stack?.stop();
  });

  test("added to a running VM: hot-plugged on the provider's XAPI network with a pool address; removed: address and quota back once", async () => {
    const vm = await runningVm('web');
    const added = await settle(await me('POST', `/v1/vms/${vm.id}/nics`, { networkId: providerId }));
    assert.deepEqual([added.nic.ip, added.nic.networkKind], ['203.0.113.10', 'provider']);
    assert.deepEqual(
      (await nicsOf(vm.id)).map((n) => [n.ip, n.status]),
      [['203.0.113.10', 'attached']],
    );
    assert.deepEqual(await vifsOn(vm.xapiUuid), [{ network: eth0Uuid, mac: added.nic.mac }]);
    assert.equal(await publicIps(), 1);
    assert.equal((await me('GET', `/v1/vms/${vm.id}`)).body.status, 'running');

    await settle(await me('DELETE', `/v1/vms/${vm.id}/nics/${added.nic.id}`));
    assert.deepEqual(await nicsOf(vm.id), []);
    assert.deepEqual(await vifsOn(vm.xapiUuid), []);
    assert.equal(await publicIps(), 0);
    assert.deepEqual(await ipEvents('203.0.113.10'), ['created', 'deleted'], 'its public-ip-hour interval ended');
    assert.equal((await me('DELETE', `/v1/vms/${vm.id}/nics/${added.nic.id}`)).status, 404);
    const recount = await op('POST', `/v1/tenants/${tenantId}/quota/recount`);
    assert.equal(recount.body.used.publicIps, 0, 'the recount agrees');
  });

  test('a hot-plug the guest refuses (no PV drivers) fails requires_stop and gives the address and the quota back', async () => {
    const vm = await runningVm('bare');
    await simControl(stack.sim, `/sim/vms/${vm.xapiUuid}/guest-tools`, { present: false });
    const r = await me('POST', `/v1/vms/${vm.id}/nics`, { networkId: providerId });
    assert.equal(await publicIps(), 1, 'charged with the request');
    await settle(r, 'failed');
    assert.equal((await me('GET', `/v1/operations/${r.body.operation.id}`)).body.error?.code, 'requires_stop');
    assert.deepEqual(await nicsOf(vm.id), []);
    assert.equal(await publicIps(), 0);
  });

  test('concurrent adds for two addresses: two plugged, the rest 409 no_address; both removed, quota back to 0', async () => {
    const vms = await Promise.all(['r0', 'r1', 'r2', 'r3', 'r4', 'r5'].map(runningVm));
    const rs = await Promise.all(vms.map((v) => me('POST', `/v1/vms/${v.id}/nics`, { networkId: providerId })));
    const ok = rs.flatMap((r, i) => (r.status === 202 ? [{ vm: vms[i], r }] : []));
    assert.equal(ok.length, 2, JSON.stringify(rs.map((r) => r.body.code ?? r.status)));
    for (const r of rs.filter((x) => x.status !== 202)) assert.deepEqual([r.status, r.body.code], [409, 'no_address']);
    for (const { r } of ok) await settle(r);
    assert.deepEqual(ok.map(({ r }) => r.body.nic.ip).sort(), ['203.0.113.10', '203.0.113.11']);
    assert.equal(await publicIps(), 2);
    for (const { vm, r } of ok) await settle(await me('DELETE', `/v1/vms/${vm.id}/nics/${r.body.nic.id}`));
    assert.equal(await publicIps(), 0);
    const again = await me('POST', `/v1/vms/${vms[0].id}/nics`, { networkId: providerId });
    assert.deepEqual([again.status, again.body.nic?.ip], [202, '203.0.113.10'], 'the addresses are free again');
    await settle(again);
  });
});
