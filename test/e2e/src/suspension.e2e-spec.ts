// Suspending a tenant with the real worker and pool (issue 14): work already accepted still finishes, the VMs keep
// running on the pool, and the tenant's keys read but change nothing until it is reinstated.
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

test('a create accepted before the suspension finishes and its VM keeps running; changes are 403 until reinstated', async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const flavor = await op('POST', '/v1/flavors', { name: 'small', vcpus: 1, memoryMiB: 512, diskGiB: 10 });
  const image = await op('POST', '/v1/images', { name: 'debian-12', template: 'Debian Bookworm 12' });
  const tenant = (await op('POST', '/v1/tenants', { name: 'suspended-e2e' })).body;
  const me = client(stack.api.url, (await op('POST', `/v1/tenants/${tenant.id}/api-keys`, { name: 'ci', role: 'admin' })).body.token);

  const created = await me('POST', '/v1/vms', { name: 'web-1', flavorId: flavor.body.id, imageId: image.body.id });
  assert.equal(created.status, 202);
  // Suspended at once: the worker may not have started the create yet.
  assert.equal((await op('PATCH', `/v1/tenants/${tenant.id}`, { suspended: true })).body.suspended, true);
  const done = await eventually('the accepted create to finish', async () => {
    const r = await me('GET', `/v1/operations/${created.body.operation.id}`);
    return r.body.status === 'succeeded' || r.body.status === 'failed' ? r.body : undefined;
  });
  assert.equal(done.status, 'succeeded', JSON.stringify(done));

  const vm = (await me('GET', `/v1/vms/${created.body.vm.id}`)).body;
  assert.equal(vm.status, 'running');
  const refused = await me('POST', `/v1/vms/${vm.id}/actions`, { action: 'stop' });
  assert.deepEqual([refused.status, refused.body.code], [403, 'tenant_suspended']);
  assert.equal((await me('POST', '/v1/vms', { name: 'web-2', flavorId: flavor.body.id, imageId: image.body.id })).status, 403);
  const pool = await xapi(stack.sim.url);
  assert.equal(await pool('VM.get_power_state', await pool('VM.get_by_uuid', vm.xapiUuid)), 'Running', 'suspension stops nothing');

  assert.equal((await op('PATCH', `/v1/tenants/${tenant.id}`, { suspended: false })).body.suspended, false);
  const stop = await me('POST', `/v1/vms/${vm.id}/actions`, { action: 'stop' });
  assert.equal(stop.status, 202, JSON.stringify(stop.body));
  const stopped = await eventually('the stop to finish', async () => {
    const r = await me('GET', `/v1/operations/${stop.body.operation.id}`);
    return r.body.status === 'succeeded' || r.body.status === 'failed' ? r.body : undefined;
  });
  assert.equal(stopped.status, 'succeeded', JSON.stringify(stopped));
  assert.equal(await pool('VM.get_power_state', await pool('VM.get_by_uuid', vm.xapiUuid)), 'Halted');
});
