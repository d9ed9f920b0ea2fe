import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, xapi } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

test('a tenant network: made on the pool, VMs get a VIF with their MAC and IP, addresses come back, then it goes', { timeout: 120_000 }, async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const flavor = await op('POST', '/v1/flavors', { name: 'small', vcpus: 1, memoryMiB: 512, diskGiB: 10 });
  const image = await op('POST', '/v1/images', { name: 'debian-12', template: 'Debian Bookworm 12' });
  const tenant = await op('POST', '/v1/tenants', { name: 'netco' });
  const key = await op('POST', `/v1/tenants/${tenant.body.id}/api-keys`, { name: 'ci', role: 'admin' });
  const me = client(stack.api.url, key.body.token);
  const pool = await xapi(stack.sim.url);
  const settled = (opId: string) =>
    eventually(`operation ${opId}`, async () => {
      const r = (await me('GET', `/v1/operations/${opId}`)).body;
      return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
    });

  const created = await me('POST', '/v1/networks', { name: 'backend', cidr: '10.42.0.0/24' });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  const netId = created.body.network.id as string;
  assert.equal((await settled(created.body.operation.id)).status, 'succeeded');
  const net = (await me('GET', `/v1/networks/${netId}`)).body;
  assert.equal(net.status, 'active');
  const netRef = await pool('network.get_by_uuid', net.xapiUuid);
  const netRec = await pool('network.get_record', netRef);
  assert.equal(netRec.other_config['xenplane-network-id'], netId);
  assert.equal(netRec.other_config.automatic, 'false');
  assert.deepEqual(netRec.tags, ['xenplane']);

  const vmCreate = async (name: string) => {
    const r = await me('POST', '/v1/vms', { name, flavorId: flavor.body.id, imageId: image.body.id, networkIds: [netId] });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await settled(r.body.operation.id)).status, 'succeeded');
    return (await me('GET', `/v1/vms/${r.body.vm.id}`)).body;
  };
  const vm = await vmCreate('web-1');
  assert.equal(vm.status, 'running');
  assert.equal(vm.nics.length, 1);
  const [nic] = vm.nics;
  assert.equal(nic.networkId, netId);
  assert.equal(nic.ip, '10.42.0.2');

  // The pool holds the VIF at device 0 with our MAC, on our network, unlocked; the guest's address is in xenstore.
  const vmRef = await pool('VM.get_by_uuid', vm.xapiUuid);
  const vmRec = await pool('VM.get_record', vmRef);
  assert.equal(vmRec.VIFs.length, 1);
  const vif = await pool('VIF.get_record', vmRec.VIFs[0]);
  assert.equal(vif.device, '0');
  assert.equal(vif.MAC, nic.mac);
  assert.equal(vif.network, netRef);
  assert.equal(vif.locking_mode, 'unlocked');
  assert.equal(vmRec.xenstore_data['vm-data/ip0'], '10.42.0.2/24');

  // Network delete is refused while the VM is attached.
  assert.equal((await me('DELETE', `/v1/networks/${netId}`)).status, 409);

  // Deleting the VM frees its address: the next VM gets it back.
  const removed = await me('DELETE', `/v1/vms/${vm.id}`);
  assert.equal((await settled(removed.body.operation.id)).status, 'succeeded');
  assert.deepEqual((await me('GET', `/v1/vms/${vm.id}`)).body.nics, []);
  const again = await vmCreate('web-2');
  assert.equal(again.nics[0].ip, '10.42.0.2');
  const removedAgain = await me('DELETE', `/v1/vms/${again.id}`);
  assert.equal((await settled(removedAgain.body.operation.id)).status, 'succeeded');

  // Now the network goes, from the pool too, and its quota comes back.
  const del = await me('DELETE', `/v1/networks/${netId}`);
  assert.equal(del.status, 202, JSON.stringify(del.body));
  assert.equal((await settled(del.body.operation.id)).status, 'succeeded');
  assert.equal((await me('GET', `/v1/networks/${netId}`)).body.status, 'deleted');
  await assert.rejects(pool('network.get_by_uuid', net.xapiUuid), /UUID_INVALID/);
  assert.equal((await me('GET', '/v1/quota')).body.used.networks, 0);
  const recount = await op('POST', `/v1/tenants/${tenant.body.id}/quota/recount`);
  assert.ok(
    Object.values(recount.body.drift).every((n) => n === 0),
    JSON.stringify(recount.body),
  );
});

test('a VM on a network whose XAPI network is gone fails as network_unavailable (not as a missing image), and leaves nothing', async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const flavor = (await op('POST', '/v1/flavors', { name: 'gone-net', vcpus: 1, memoryMiB: 256, diskGiB: 10 })).body;
  const image = (await op('POST', '/v1/images', { name: 'gone-net', template: 'Debian Bookworm 12' })).body;
  const tenant = (await op('POST', '/v1/tenants', { name: 'gone-net' })).body;
  const t = `?tenantId=${tenant.id}`;
  const settled = (opId: string) =>
    eventually(`operation ${opId}`, async () => {
      const r = (await op('GET', `/v1/operations/${opId}${t}`)).body;
      return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
    });
  const created = (await op('POST', `/v1/networks${t}`, { name: 'doomed', cidr: '10.43.0.0/24' })).body;
  await settled(created.operation.id);
  const net = (await op('GET', `/v1/networks/${created.network.id}${t}`)).body;
  const pool = await xapi(stack.sim.url);
  await pool('network.destroy', await pool('network.get_by_uuid', net.xapiUuid));

  const r = (await op('POST', `/v1/vms${t}`, { name: 'orphaned', flavorId: flavor.id, imageId: image.id, networkIds: [net.id] })).body;
  const failed = await settled(r.operation.id);
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error.code, 'network_unavailable', JSON.stringify(failed.error));
  assert.match(failed.error.detail, /gone from the pool/);
  const vms: { other_config: Record<string, string> }[] = Object.values(await pool('VM.get_all_records'));
  assert.equal(vms.filter((v) => v.other_config['xenplane-vm-id'] === r.vm.id).length, 0, 'the half-made VM was destroyed');
  const quota = (await op('GET', `/v1/quota${t}`)).body.used;
  assert.deepEqual([quota.vms, quota.vcpus], [0, 0]);
});
