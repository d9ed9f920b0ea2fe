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

test('a tenant asks for a VM over REST and the worker makes it run on the pool, then deletes it', async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const flavor = await op('POST', '/v1/flavors', { name: 'small', vcpus: 2, memoryMiB: 1024, diskGiB: 10 });
  const image = await op('POST', '/v1/images', { name: 'debian-12', template: 'Debian Bookworm 12' });
  const tenant = await op('POST', '/v1/tenants', { name: 'acme' });
  const key = await op('POST', `/v1/tenants/${tenant.body.id}/api-keys`, { name: 'ci', role: 'admin' });
  assert.equal(key.status, 201);
  const me = client(stack.api.url, key.body.token);
  const pool = await xapi(stack.sim.url);
  const vdisBefore = Object.keys(await pool('VDI.get_all_records')).length;

  const created = await me('POST', '/v1/vms', { name: 'web-1', flavorId: flavor.body.id, imageId: image.body.id, diskGiB: 25 });
  assert.equal(created.status, 202);
  const requestId = created.headers.get('x-request-id');
  const opDone = await eventually('create to finish', async () => {
    const r = await me('GET', `/v1/operations/${created.body.operation.id}`);
    return r.body.status === 'succeeded' || r.body.status === 'failed' ? r.body : undefined;
  });
  assert.equal(opDone.status, 'succeeded', JSON.stringify(opDone));
  assert.ok(opDone.startedAt && opDone.finishedAt);

  const vm = (await me('GET', `/v1/vms/${created.body.vm.id}`)).body;
  assert.equal(vm.status, 'running');
  assert.match(vm.xapiUuid, /^[0-9a-f-]{36}$/);
  assert.match(vm.hostXapiUuid, /^[0-9a-f-]{36}$/);

  // The pool really holds it, sized from the flavor (maximums: twice that, the default LIVE_RESIZE_HEADROOM) and tagged with our id.
  const ref = await pool('VM.get_by_uuid', vm.xapiUuid);
  const rec = await pool('VM.get_record', ref);
  assert.equal(rec.power_state, 'Running');
  assert.equal(rec.is_a_template, false);
  assert.deepEqual([rec.memory_dynamic_max, rec.memory_static_max].map(Number), [1024 * MIB, 2048 * MIB]);
  assert.deepEqual([rec.VCPUs_at_startup, rec.VCPUs_max].map(Number), [2, 4]);
  assert.deepEqual(vm.liveMax, { vcpus: 4, memoryMiB: 2048 });
  assert.equal(rec.other_config['xenplane-vm-id'], vm.id);
  assert.equal(await pool('host.get_uuid', rec.resident_on), vm.hostXapiUuid);
  // hostId is the host as GET /v1/hosts lists it (the XAPI uuid beside it).
  const hosts = (await client(stack.api.url, OPERATOR_TOKEN)('GET', '/v1/hosts')).body.items as { id: string; xapiUuid: string }[];
  assert.equal(vm.hostId, hosts.find((h) => h.xapiUuid === vm.hostXapiUuid)?.id);
  assert.ok(Object.keys(await pool('VDI.get_all_records')).length > vdisBefore, 'provisioning made a disk');
  const [vbd] = await pool('VM.get_VBDs', ref);
  assert.equal(
    Number(await pool('VDI.get_virtual_size', await pool('VBD.get_VDI', vbd))),
    25 * 1024 * MIB,
    'the boot disk grew to the requested size',
  );

  // The request id of the POST follows the work into the worker's logs.
  assert.ok(
    stack.worker.logs.some((l) => l.includes(`"requestId":"${requestId}"`)),
    'worker logs carry the request id',
  );

  const stopped = await me('POST', `/v1/vms/${vm.id}/actions`, { action: 'stop' });
  assert.equal(stopped.status, 202);
  await eventually('stop', async () => ((await me('GET', `/v1/vms/${vm.id}`)).body.status === 'stopped' ? true : undefined));
  assert.equal((await pool('VM.get_record', ref)).power_state, 'Halted');
  assert.equal((await me('POST', `/v1/vms/${vm.id}/actions`, { action: 'stop' })).status, 409);

  const removed = await me('DELETE', `/v1/vms/${vm.id}`);
  assert.equal(removed.status, 202);
  assert.equal(removed.body.vm.status, 'deleting');
  await eventually('delete', async () => ((await me('GET', `/v1/vms/${vm.id}`)).body.status === 'deleted' ? true : undefined));
  await assert.rejects(pool('VM.get_by_uuid', vm.xapiUuid), /UUID_INVALID/);
  assert.equal(Object.keys(await pool('VDI.get_all_records')).length, vdisBefore, 'its disks are gone too');
  const ops = (await me('GET', '/v1/operations?order=asc')).body.items;
  assert.deepEqual(
    ops.map((o: { kind: string; status: string }) => `${o.kind}:${o.status}`),
    ['vm.create:succeeded', 'vm.stop:succeeded', 'vm.delete:succeeded'],
  );
});

test('an image naming a template the pool lacks is refused; a VM whose template went since fails cleanly with a code', async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const poolId = (await op('GET', '/v1/pools')).body.items[0].id as string;
  const listed = async (name: string) => (await op('GET', `/v1/pools/${poolId}/templates`)).body.items.some((t: { name: string }) => t.name === name);
  await eventually('pool synced', async () => ((await listed('Debian Bookworm 12')) ? true : undefined));
  const refused = await op('POST', '/v1/images', { name: 'ghost', template: 'No Such Template 9' });
  assert.equal(refused.status, 422);
  assert.equal(refused.body.code, 'template_not_found');
  // A template the pool has when the image is made, renamed on the pool afterwards (as an operator might with xe).
  const pool = await xapi(stack.sim.url);
  const [debian] = (await pool('VM.get_by_name_label', 'Debian Bookworm 12')) as string[];
  const vanishing = (await pool('VM.clone', debian, 'Vanishing Template 9')) as string;
  await eventually('the new template synced', async () => ((await listed('Vanishing Template 9')) ? true : undefined));
  const flavor = await op('POST', '/v1/flavors', { name: 'tiny', vcpus: 1, memoryMiB: 512, diskGiB: 10 });
  const image = await op('POST', '/v1/images', { name: 'ghost', template: 'Vanishing Template 9' });
  assert.equal(image.status, 201, JSON.stringify(image.body));
  await pool('VM.set_name_label', vanishing, 'Renamed Template 9');
  const tenant = await op('POST', '/v1/tenants', { name: 'ghost-co' });
  const created = await op('POST', `/v1/vms?tenantId=${tenant.body.id}`, { name: 'g', flavorId: flavor.body.id, imageId: image.body.id });
  const done = await eventually('create to end', async () => {
    const r = await op('GET', `/v1/operations/${created.body.operation.id}?tenantId=${tenant.body.id}`);
    return r.body.status === 'failed' || r.body.status === 'succeeded' ? r.body : undefined;
  });
  assert.equal(done.status, 'failed');
  assert.equal(done.error.code, 'template_missing');
  const vm = (await op('GET', `/v1/vms/${created.body.vm.id}?tenantId=${tenant.body.id}`)).body;
  assert.equal(vm.status, 'error');
  assert.equal(vm.errorReason, 'template_missing');
});

test('the worker reports its dependencies and metrics', async () => {
  const w = client(stack.worker.url, null);
  const ready = await w('GET', '/health/ready');
  assert.equal(ready.status, 200, JSON.stringify(ready.body));
  assert.deepEqual(Object.keys(ready.body.checks).sort(), ['database', 'redis', 'xapi']);
  const metrics = (await w('GET', '/metrics')).body as string;
  assert.match(metrics, /xenplane_xapi_call_duration_seconds_count\{method="VM.clone"/);
  assert.match(metrics, /xenplane_job_duration_seconds_count\{queue="vm-lifecycle",job="vm.create",outcome="succeeded"\} [1-9]/);
  assert.match(metrics, /xenplane_queue_jobs\{queue="vm-lifecycle",state="completed"\}/);
});

test('SIGTERM stops the API and the worker cleanly', async () => {
  assert.equal(await stack.api.stop('SIGTERM'), 0);
  assert.equal(await stack.worker.stop('SIGTERM'), 0);
});
