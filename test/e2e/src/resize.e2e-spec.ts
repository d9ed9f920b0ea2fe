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

const MIB = 1024 * 1024;

test('resize charges only the growth, applies live or halted as XAPI allows, and gives back a failed one', { timeout: 90_000 }, async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const [small, medium, large] = await Promise.all([
    op('POST', '/v1/flavors', { name: 'small', vcpus: 1, memoryMiB: 512, diskGiB: 10 }),
    op('POST', '/v1/flavors', { name: 'medium', vcpus: 2, memoryMiB: 1024, diskGiB: 10 }),
    op('POST', '/v1/flavors', { name: 'large', vcpus: 8, memoryMiB: 1024, diskGiB: 10 }),
  ]);
  const image = await op('POST', '/v1/images', { name: 'rs', template: 'Debian Bookworm 12' });
  const tenant = await op('POST', '/v1/tenants', { name: 'resizer', quota: { vcpus: 4 } });
  const t = `?tenantId=${tenant.body.id}`;
  const created = await op('POST', `/v1/vms${t}`, { name: 'rs', flavorId: small.body.id, imageId: image.body.id });
  const vmId = created.body.vm.id as string;
  const settle = async (opId: string) =>
    eventually('operation', async () => {
      const r = (await op('GET', `/v1/operations/${opId}${t}`)).body;
      return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
    });
  assert.equal((await settle(created.body.operation.id)).status, 'succeeded');
  const pool = await xapi(stack.sim.url);
  const ref = await pool('VM.get_by_uuid', (await op('GET', `/v1/vms/${vmId}${t}`)).body.xapiUuid);

  // Running, beyond its static maximum: refused by XAPI's rules, and everything goes back.
  const live = await op('PATCH', `/v1/vms/${vmId}${t}`, { flavorId: medium.body.id });
  assert.equal(live.status, 202);
  assert.equal(live.body.vm.vcpus, 2);
  const liveDone = await settle(live.body.operation.id);
  assert.equal(liveDone.status, 'failed');
  assert.equal(liveDone.error.code, 'requires_stop');
  const reverted = (await op('GET', `/v1/vms/${vmId}${t}`)).body;
  assert.deepEqual([reverted.vcpus, reverted.memoryMiB, reverted.flavorId, reverted.status], [1, 512, small.body.id, 'running']);
  assert.equal((await op('GET', `/v1/quota${t}`)).body.used.vcpus, 1);

  // Halted: all limits change.
  await settle((await op('POST', `/v1/vms/${vmId}/actions${t}`, { action: 'stop' })).body.operation.id);
  const halted = await op('PATCH', `/v1/vms/${vmId}${t}`, { flavorId: medium.body.id });
  assert.equal((await settle(halted.body.operation.id)).status, 'succeeded');
  const rec = await pool('VM.get_record', ref);
  assert.equal(Number(rec.VCPUs_max), 2);
  assert.equal(Number(rec.memory_static_max), 1024 * MIB);
  assert.equal((await op('GET', `/v1/quota${t}`)).body.used.vcpus, 2);

  // Growth past the limit is refused before anything is queued.
  const tooBig = await op('PATCH', `/v1/vms/${vmId}${t}`, { flavorId: large.body.id });
  assert.equal(tooBig.status, 409);
  assert.equal(tooBig.body.code, 'quota_exceeded');
  assert.equal(tooBig.body.resource, 'vcpus');

  // Running, within its maximums: applied live, and the shrink is given back.
  await settle((await op('POST', `/v1/vms/${vmId}/actions${t}`, { action: 'start' })).body.operation.id);
  const shrink = await op('PATCH', `/v1/vms/${vmId}${t}`, { flavorId: small.body.id });
  assert.equal((await settle(shrink.body.operation.id)).status, 'succeeded');
  const after = await pool('VM.get_record', ref);
  assert.equal(Number(after.VCPUs_at_startup), 1);
  assert.equal(Number(after.memory_dynamic_max), 512 * MIB);
  assert.equal((await op('GET', `/v1/quota${t}`)).body.used.vcpus, 1);
  const recount = await op('POST', `/v1/tenants/${tenant.body.id}/quota/recount`);
  assert.deepEqual(
    Object.values(recount.body.drift).filter((n) => n !== 0),
    [],
  );
});
