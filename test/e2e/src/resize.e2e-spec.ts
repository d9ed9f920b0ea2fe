import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, simFault, xapi } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

const MIB = 1024 * 1024;

test('resize charges only the growth, applies live within the live maximums, refuses at once what needs a stop', { timeout: 90_000 }, async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const flavor = async (name: string, vcpus: number, memoryMiB: number, diskGiB: number) =>
    (await op('POST', '/v1/flavors', { name, vcpus, memoryMiB, diskGiB })).body.id as string;
  const small = await flavor('small', 1, 512, 10);
  const medium = await flavor('medium', 2, 1024, 10);
  const wide = await flavor('wide', 3, 1024, 10);
  const mediumDisk = await flavor('medium-disk', 2, 1024, 20);
  const smallDisk = await flavor('small-disk', 1, 512, 20);
  const large = await flavor('large', 8, 1024, 20);
  const image = await op('POST', '/v1/images', { name: 'rs', template: 'Debian Bookworm 12' });
  const tenant = await op('POST', '/v1/tenants', { name: 'resizer', quota: { vcpus: 4 } });
  const t = `?tenantId=${tenant.body.id}`;
  const created = await op('POST', `/v1/vms${t}`, { name: 'rs', flavorId: small, imageId: image.body.id });
  const vmId = created.body.vm.id as string;
  // LIVE_RESIZE_HEADROOM=2 (the default): twice its size, shown on the VM and set on the pool.
  assert.deepEqual(created.body.vm.liveMax, { vcpus: 2, memoryMiB: 1024 });
  const settle = async (opId: string) =>
    eventually('operation', async () => {
      const r = (await op('GET', `/v1/operations/${opId}${t}`)).body;
      return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
    });
  assert.equal((await settle(created.body.operation.id)).status, 'succeeded');
  const pool = await xapi(stack.sim.url);
  const ref = await pool('VM.get_by_uuid', (await op('GET', `/v1/vms/${vmId}${t}`)).body.xapiUuid);
  const sizes = async () => {
    const r = await pool('VM.get_record', ref);
    return [r.VCPUs_at_startup, r.VCPUs_max, r.memory_dynamic_max / MIB, r.memory_static_max / MIB].map(Number);
  };
  const rootDiskGiB = async () => {
    for (const vbd of await pool('VM.get_VBDs', ref)) {
      const r = await pool('VBD.get_record', vbd);
      if (r.userdevice === '0') return Number(await pool('VDI.get_virtual_size', r.VDI)) / (1024 * MIB);
    }
    return null;
  };
  assert.deepEqual(await sizes(), [1, 2, 512, 1024]);
  const operationCount = async () => (await op('GET', `/v1/operations${t}&limit=500`)).body.items.length as number;

  // Running, beyond its live maximums or growing its disk: refused at once, naming the maximums; nothing queued or charged.
  const queued = await operationCount();
  const beyond = await op('PATCH', `/v1/vms/${vmId}${t}`, { flavorId: wide });
  assert.deepEqual([beyond.status, beyond.body.code, beyond.body.liveMax], [409, 'requires_stop', { vcpus: 2, memoryMiB: 1024 }]);
  const disk = await op('PATCH', `/v1/vms/${vmId}${t}`, { flavorId: mediumDisk });
  assert.deepEqual([disk.status, disk.body.code], [409, 'requires_stop']);
  assert.match(disk.body.detail, /20 GiB disk/);
  assert.equal(await operationCount(), queued);
  assert.equal((await op('GET', `/v1/quota${t}`)).body.used.vcpus, 1);

  // Running, within them: applied live.
  const live = await op('PATCH', `/v1/vms/${vmId}${t}`, { flavorId: medium });
  assert.equal(live.status, 202, JSON.stringify(live.body));
  assert.equal((await settle(live.body.operation.id)).status, 'succeeded');
  assert.deepEqual(await sizes(), [2, 2, 1024, 1024]);
  assert.equal((await op('GET', `/v1/quota${t}`)).body.used.vcpus, 2);

  // Halted: all limits change, the boot disk grows (VDI.resize), and the live maximums follow the new size.
  await settle((await op('POST', `/v1/vms/${vmId}/actions${t}`, { action: 'stop' })).body.operation.id);
  const halted = await op('PATCH', `/v1/vms/${vmId}${t}`, { flavorId: mediumDisk });
  assert.equal(halted.status, 202, JSON.stringify(halted.body));
  assert.deepEqual(halted.body.vm.liveMax, { vcpus: 4, memoryMiB: 2048 });
  assert.equal((await settle(halted.body.operation.id)).status, 'succeeded');
  assert.deepEqual(await sizes(), [2, 4, 1024, 2048]);
  assert.equal(await rootDiskGiB(), 20);
  assert.deepEqual((await op('GET', `/v1/quota${t}`)).body.used.diskGiB, 20);

  // Disks never shrink; growth past the quota is refused before anything is queued.
  const shrinkDisk = await op('PATCH', `/v1/vms/${vmId}${t}`, { flavorId: small });
  assert.deepEqual([shrinkDisk.status, shrinkDisk.body.code, shrinkDisk.body.diskGiB], [422, 'disk_cannot_shrink', 20]);
  const tooBig = await op('PATCH', `/v1/vms/${vmId}${t}`, { flavorId: large });
  assert.deepEqual([tooBig.status, tooBig.body.code, tooBig.body.resource], [409, 'quota_exceeded', 'vcpus']);

  // A failure on the pool gives everything back: sizes, maximums and quota.
  await simFault(stack.sim.url, { method: 'VM.set_VCPUs_max', code: 'OPERATION_NOT_ALLOWED', params: ['injected'] });
  const failing = await op('PATCH', `/v1/vms/${vmId}${t}`, { flavorId: smallDisk });
  assert.equal((await settle(failing.body.operation.id)).status, 'failed');
  const reverted = (await op('GET', `/v1/vms/${vmId}${t}`)).body;
  assert.deepEqual([reverted.vcpus, reverted.memoryMiB, reverted.flavorId, reverted.liveMax], [2, 1024, mediumDisk, { vcpus: 4, memoryMiB: 2048 }]);
  assert.equal((await op('GET', `/v1/quota${t}`)).body.used.vcpus, 2);
  assert.deepEqual(await sizes(), [2, 4, 1024, 2048], 'the pool is put back too');

  // Running again, smaller within its maximums: applied live, and the shrink is given back.
  await settle((await op('POST', `/v1/vms/${vmId}/actions${t}`, { action: 'start' })).body.operation.id);
  const shrink = await op('PATCH', `/v1/vms/${vmId}${t}`, { flavorId: smallDisk });
  assert.equal((await settle(shrink.body.operation.id)).status, 'succeeded');
  assert.deepEqual(await sizes(), [1, 4, 512, 2048]);
  assert.equal((await op('GET', `/v1/quota${t}`)).body.used.vcpus, 1);
  const recount = await op('POST', `/v1/tenants/${tenant.body.id}/quota/recount`);
  assert.deepEqual(
    Object.values(recount.body.drift).filter((n) => n !== 0),
    [],
  );
});
