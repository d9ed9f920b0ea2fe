// Suspending a tenant with the real worker and pool (issue 14): work already accepted still finishes, the VMs keep
// running on the pool, and the tenant's keys read but change nothing until it is reinstated. Written on the typed
// client (@xenplane/client), as a program would be.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, createXenplaneClient, must, waitForOperation } from '@xenplane/client';
import { xapi } from '@xenplane/testing';
import { OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

const refusedWith = (status: number, code: string) => (e: unknown) => e instanceof ApiError && e.status === status && e.code === code;

test('a create accepted before the suspension finishes and its VM keeps running; changes are 403 until reinstated', async () => {
  const op = createXenplaneClient({ baseUrl: stack.api.url, token: OPERATOR_TOKEN });
  const flavor = must(await op.POST('/v1/flavors', { body: { name: 'small', vcpus: 1, memoryMiB: 512, diskGiB: 10 } }));
  const image = must(await op.POST('/v1/images', { body: { name: 'debian-12', template: 'Debian Bookworm 12', configDrive: 'nocloud' } }));
  const tenant = must(await op.POST('/v1/tenants', { body: { name: 'suspended-e2e' } }));
  const key = must(
    await op.POST('/v1/tenants/{tenantId}/api-keys', { params: { path: { tenantId: tenant.id } }, body: { name: 'ci', role: 'admin' } }),
  );
  const me = createXenplaneClient({ baseUrl: stack.api.url, token: key.token });
  const suspend = async (suspended: boolean) =>
    must(await op.PATCH('/v1/tenants/{id}', { params: { path: { id: tenant.id } }, body: { suspended } })).suspended;

  const created = must(await me.POST('/v1/vms', { body: { name: 'web-1', flavorId: flavor.id, imageId: image.id } }));
  // Suspended at once: the worker may not have started the create yet.
  assert.equal(await suspend(true), true);
  assert.equal((await waitForOperation(me, created.operation.id, { timeoutMs: 60_000 })).status, 'succeeded');

  const vm = must(await me.GET('/v1/vms/{id}', { params: { path: { id: created.vm.id } } }));
  assert.equal(vm.status, 'running');
  const stopIt = () => me.POST('/v1/vms/{id}/actions', { params: { path: { id: vm.id } }, body: { action: 'stop' } });
  await assert.rejects(stopIt(), refusedWith(403, 'tenant_suspended'));
  await assert.rejects(me.POST('/v1/vms', { body: { name: 'web-2', flavorId: flavor.id, imageId: image.id } }), refusedWith(403, 'tenant_suspended'));
  const pool = await xapi(stack.sim.url);
  assert.equal(await pool('VM.get_power_state', await pool('VM.get_by_uuid', vm.xapiUuid)), 'Running', 'suspension stops nothing');

  assert.equal(await suspend(false), false);
  const stop = must(await stopIt());
  assert.equal((await waitForOperation(me, stop.operation.id, { timeoutMs: 60_000 })).status, 'succeeded');
  assert.equal(await pool('VM.get_power_state', await pool('VM.get_by_uuid', vm.xapiUuid)), 'Halted');
});
