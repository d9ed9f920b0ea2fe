// One attempt of a job through the real OperationRunner, on Postgres, Redis and the simulator.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { VmNicRepository } from '@xenplane/core';
import { QuotaService } from '@xenplane/tenancy';
import { poolCensus, simFault, simControl } from '@xenplane/testing';
import { startWorkerFixture, type WorkerFixture } from '../testing/worker-fixture.js';

let fx: WorkerFixture;
before(async () => {
  fx = await startWorkerFixture();
});
after(async () => {
  await fx?.close();
});

const count = (calls: Record<string, number>, method: string) => calls[method] ?? 0;

test('a vm.create provisions one running XAPI VM, marked as ours', async () => {
  const tenantId = await fx.seed.tenant();
  const { vm, operation } = await fx.seed.vm(tenantId);
  await fx.attempt(operation);

  assert.equal((await fx.operation(operation)).status, 'succeeded');
  const row = await fx.vm(vm);
  assert.deepEqual([row.status, row.presence, row.powerState], ['running', 'present', 'Running']);
  const copies = (await poolCensus(fx.sim)).byId.get(vm.id) ?? [];
  assert.equal(copies.length, 1, 'exactly one XAPI VM carries its id');
  assert.equal(copies[0].uuid, row.xapiUuid);
  assert.equal(copies[0].power_state, 'Running');
  assert.equal(copies[0].name_label, vm.name);
  assert.ok(copies[0].tags.includes('xenplane'));
  assert.equal(copies[0].other_config['xenplane-tenant-id'], tenantId);
});

test('a duplicate delivery after success calls nothing on the pool and changes nothing', async () => {
  const tenantId = await fx.seed.tenant();
  const { vm, operation } = await fx.seed.vm(tenantId);
  await fx.attempt(operation);
  const [calls, op, row] = [await fx.calls(), await fx.operation(operation), await fx.vm(vm)];
  await fx.attempt(operation, { attemptsMade: 1 });
  assert.deepEqual(await fx.calls(), calls);
  assert.deepEqual(await fx.operation(operation), op);
  assert.deepEqual(await fx.vm(vm), row);
});

test('a transient XAPI fault retries: the operation stays running and the next attempt resumes without a second clone', async () => {
  const tenantId = await fx.seed.tenant();
  const { vm, operation } = await fx.seed.vm(tenantId);
  const clonesBefore = count(await fx.calls(), 'VM.clone');
  await simFault(fx.sim, { method: 'VM.start_on', code: 'HOST_OFFLINE', params: ['OpaqueRef:x'] });
  await assert.rejects(fx.attempt(operation), /HOST_OFFLINE/);

  const running = await fx.operation(operation);
  assert.deepEqual([running.status, running.attempts, running.step], ['running', 1, 'configdrive']);
  assert.equal((await fx.vm(vm)).status, 'provisioning');
  await fx.attempt(operation, { attemptsMade: 1 });
  assert.equal((await fx.operation(operation)).status, 'succeeded');
  assert.equal((await fx.vm(vm)).status, 'running');
  assert.equal(count(await fx.calls(), 'VM.clone') - clonesBefore, 1);
  assert.equal((await poolCensus(fx.sim)).byId.get(vm.id)?.length, 1);
});

test('a terminal failure fails the operation with its code and gives back the half-made VM, quota and addresses', async () => {
  const tenantId = await fx.seed.tenant();
  const net = await fx.seed.network(tenantId);
  await fx.attempt(net.operation);
  const { vm, operation } = await fx.seed.vm(tenantId, { networks: [net.network] });
  const census = await poolCensus(fx.sim);
  // After the clone, configured and plugged: the VM exists on the pool when the start is refused for good.
  await simFault(fx.sim, { method: 'VM.start_on', code: 'SR_FULL' });
  await fx.attempt(operation);

  const failed = await fx.operation(operation);
  assert.deepEqual([failed.status, failed.errorCode], ['failed', 'no_storage']);
  const row = await fx.vm(vm);
  assert.deepEqual([row.status, row.errorReason, row.presence], ['error', 'no_storage', 'released']);
  const after = await poolCensus(fx.sim);
  assert.equal(after.byId.get(vm.id), undefined, 'the half-made VM is destroyed');
  assert.equal(after.looseVdis.length, census.looseVdis.length, 'and its disks');
  const used = (await fx.get(QuotaService).get(tenantId)).used;
  assert.deepEqual(used, {
    vms: 0,
    vcpus: 0,
    memoryMiB: 0,
    diskGiB: 0,
    networks: 1,
    apiKeys: 0,
    keypairs: 0,
    volumes: 0,
    volumeGiB: 0,
    snapshots: 0,
    snapshotGiB: 0,
    publicIps: 0,
    securityGroups: 0,
    securityGroupRules: 0,
    imageGiB: 0,
  });
  assert.deepEqual(await fx.get(VmNicRepository).listForVms(tenantId, [vm.id]), [], 'its address is free again');
});

test('a transient fault on the last attempt fails the operation instead of retrying', async () => {
  const tenantId = await fx.seed.tenant();
  const { vm, operation } = await fx.seed.vm(tenantId);
  await simFault(fx.sim, { method: 'VM.start_on', code: 'HOST_OFFLINE', params: ['OpaqueRef:x'] });
  await fx.attempt(operation, { attemptsMade: 7, attempts: 8 });
  const failed = await fx.operation(operation);
  assert.deepEqual([failed.status, failed.errorCode], ['failed', 'xapi_error']);
  assert.match(failed.errorDetail ?? '', /HOST_OFFLINE/);
  assert.equal((await poolCensus(fx.sim)).byId.get(vm.id), undefined);
  assert.equal((await fx.get(QuotaService).get(tenantId)).used.vms, 0);
});

test('a job whose resource row is gone touches no pool and fails its operation naming what is missing', async () => {
  const tenantId = await fx.seed.tenant();
  const { vm, operation } = await fx.seed.vm(tenantId);
  await fx.ds.query(`DELETE FROM quota_ledger WHERE resource_id = $1`, [vm.id]);
  await fx.ds.query(`DELETE FROM vms WHERE id = $1`, [vm.id]);
  const calls = await fx.calls();
  await fx.attempt(operation);
  assert.deepEqual(await fx.calls(), calls);
  const ended = await fx.operation(operation);
  assert.deepEqual([ended.status, ended.errorCode], ['failed', 'resource_missing']);
  assert.match(ended.errorDetail ?? '', new RegExp(`names missing vm ${vm.id}`));
  await fx.attempt(operation);
  assert.deepEqual(await fx.calls(), calls, 'a redelivery finds it finished');
});

test("every log line of an attempt carries its operation's request id, tenant and operation", async () => {
  const tenantId = await fx.seed.tenant();
  const { operation } = await fx.seed.vm(tenantId);
  assert.match(operation.requestId ?? '', /^req-/);
  await simFault(fx.sim, { method: 'VM.start_on', code: 'HOST_OFFLINE', params: ['OpaqueRef:x'] });
  await fx.attempt(operation).catch(() => undefined);
  await fx.attempt(operation, { attemptsMade: 1 });
  const lines = fx.logs.filter((l) => l.operationId === operation.id);
  assert.deepEqual(
    lines.map((l) => l.msg),
    ['operation attempt failed; will retry', 'operation succeeded'],
  );
  for (const line of lines) assert.deepEqual([line.requestId, line.tenantId], [operation.requestId, tenantId]);
  await simControl(fx.sim, '/sim/faults/clear');
});

test('a job delivered again while its first delivery still runs (lock lapsed) waits: one saga, one clone, one drive', async () => {
  const tenantId = await fx.seed.tenant();
  const { vm, operation } = await fx.seed.vm(tenantId, { bootstrap: { hostname: 'twice' } });
  const clonesBefore = count(await fx.calls(), 'VM.clone');
  // BullMQ's stalled check hands the job out again when its lock is not renewed in time; both deliveries start together.
  const [first, again] = await Promise.allSettled([fx.attempt(operation), fx.attempt(operation, { attemptsMade: 0 })]);
  assert.equal((await fx.operation(operation)).status, 'succeeded');
  assert.equal((await fx.vm(vm)).status, 'running');
  assert.equal(count(await fx.calls(), 'VM.clone') - clonesBefore, 1, 'one clone');
  const census = await poolCensus(fx.sim);
  assert.equal((census.byId.get(vm.id) ?? []).length, 1, 'one XAPI VM carries its id');
  const vdis = Object.values<Record<string, any>>(await fx.pool('VDI.get_all_records'));
  const drives = vdis.filter((d) => d.other_config?.['xenplane-configdrive'] === vm.id);
  assert.equal(drives.length, 1, 'one config drive');
  assert.equal(drives[0].VBDs.length, 1, 'attached');
  // The second delivery was turned away, to be delayed by the queue's processor.
  const ends = [first, again].map((e) => (e.status === 'fulfilled' ? 'ran' : String((e.reason as Error).constructor.name)));
  assert.deepEqual(ends.sort(), ['OperationBusyError', 'ran']);
  // The delayed delivery comes back after the first ended: it finds the operation finished and does nothing.
  const calls = await fx.calls();
  await fx.attempt(operation);
  assert.deepEqual(await fx.calls(), calls);
});
