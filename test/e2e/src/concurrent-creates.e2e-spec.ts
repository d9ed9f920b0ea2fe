// Many creates at once on one stack (the evacuation e2e's symptom: HANDLE_INVALID, a deadlock). With a short job
// lock on a busy machine, BullMQ hands a running job out again; each create must still run as one saga and succeed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, poolCensus } from '@xenplane/testing';
import { assertConsistent, client, EVERY_VM_STATUS, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

const VMS = 50;
let stack: Stack;

before(async () => {
  // The evacuation e2e's lock timings: a lock lapses whenever the event loop or Redis is slow for a second.
  stack = await startStack({ SIM_HOSTS: '3' }, { WORKER_LOCK_MS: '2000', OPERATION_SWEEP_MS: '2000' });
});
after(async () => {
  await stack?.stop();
});

test(`${VMS} VMs created at once all end running, each made by one saga`, { timeout: 240_000 }, async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const flavor = await op('POST', '/v1/flavors', { name: 'cc', vcpus: 1, memoryMiB: 256, diskGiB: 10 });
  const image = await op('POST', '/v1/images', { name: 'cc', template: 'Debian Bookworm 12' });
  const tenant = await op('POST', '/v1/tenants', { name: 'concurrent' });
  const t = `?tenantId=${tenant.body.id}`;
  const looseBefore = (await poolCensus(stack.sim.url)).looseVdis.length;
  await eventually('the hosts are synced', async () => (await op('GET', '/v1/hosts')).body.items.length === 3);
  // Accepted one after the other (the API's own throughput is not the subject): the worker runs them side by side.
  for (let i = 0; i < VMS; i++) {
    const r = await op('POST', `/v1/vms${t}`, { name: `cc-${i}`, flavorId: flavor.body.id, imageId: image.body.id });
    assert.equal(r.status, 202, JSON.stringify(r.body));
  }
  const vms = await eventually(
    'every VM settled',
    async () => {
      const items = (await op('GET', `/v1/vms${t}&limit=500&${EVERY_VM_STATUS}`)).body.items as {
        id: string;
        status: string;
        errorReason: string | null;
      }[];
      return items.length === VMS && items.every((v) => v.status === 'running' || v.status === 'error') && items;
    },
    180_000,
  );
  assert.deepEqual(
    vms.filter((v) => v.status !== 'running'),
    [],
    'every create succeeded',
  );
  // One saga per create: a second delivery of a running job waits for it and then finds it finished.
  const sagas = stack.worker.logs.filter((l) => l.includes('"job":"vm.create"') && l.includes('"msg":"operation succeeded"'));
  assert.equal(sagas.length, VMS, 'one successful saga per VM');
  await assertConsistent(stack, [tenant.body.id], looseBefore);
});
