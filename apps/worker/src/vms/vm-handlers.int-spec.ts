// Each VM handler through the runner against the simulator: what XAPI ends up holding and what the rows say.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { VmEntity } from '@xenplane/core';
import { QuotaService } from '@xenplane/tenancy';
import { poolCensus, simFault } from '@xenplane/testing';
import { startWorkerFixture, type WorkerFixture } from '../testing/worker-fixture.js';

const MiB = 1024 * 1024;
let fx: WorkerFixture;
before(async () => {
  fx = await startWorkerFixture();
});
after(async () => {
  await fx?.close();
});
const pool = (method: string, ...params: unknown[]) => fx.pool(method, ...params);

const count = async (...methods: string[]) => {
  const calls = await fx.calls();
  return methods.reduce((n, m) => n + (calls[m] ?? 0), 0);
};

/** A running VM, of this size if given. */
async function runningVm(size?: { vcpus: number; memoryMiB: number; diskGiB: number }): Promise<VmEntity> {
  const vm = await fx.provisioned(undefined, size ? { flavor: await fx.seed.flavor(size) } : {});
  assert.equal(vm.status, 'running');
  return vm;
}

/** Runs one API action on the VM to its end and answers the operation. */
async function act(vm: VmEntity, action: 'start' | 'stop' | 'reboot' | 'delete') {
  const operation = await fx.seed.act(vm.tenantId, vm.id, action);
  await fx.attempt(operation);
  return fx.operation(operation);
}

const record = async (vm: VmEntity) => pool('VM.get_record', await pool('VM.get_by_uuid', vm.xapiUuid));

describe('vm.create', () => {
  test('a retry after a clone made by an earlier attempt adopts that clone: exactly one VM on the pool', async () => {
    const tenantId = await fx.seed.tenant();
    const { vm, operation } = await fx.seed.vm(tenantId);
    const clones = await count('VM.clone');
    // The attempt dies right after VM.clone answered (its one read of the clone), before it could checkpoint what it made.
    await simFault(fx.sim, { method: 'VM.get_record', code: 'HOST_OFFLINE', params: ['OpaqueRef:x'] });
    await assert.rejects(fx.attempt(operation), /HOST_OFFLINE/);
    assert.deepEqual((await fx.operation(operation)).checkpoint, {});
    assert.equal((await poolCensus(fx.sim)).markers.filter((m) => m.name_label === `xenplane-${vm.id}`).length, 1);

    await fx.attempt(operation, { attemptsMade: 1 });
    assert.equal((await fx.operation(operation)).status, 'succeeded');
    assert.equal(await count('VM.clone'), clones + 1);
    const census = await poolCensus(fx.sim);
    assert.equal(census.byId.get(vm.id)?.length, 1);
    assert.equal(census.markers.filter((m) => m.name_label === `xenplane-${vm.id}`).length, 0, 'the marker became its name');
  });
});

describe('vm.delete', () => {
  test('destroys the VM and its disks, and releases the VM', async () => {
    const vm = await runningVm();
    const loose = (await poolCensus(fx.sim)).looseVdis.length;
    assert.equal((await act(vm, 'delete')).status, 'succeeded');
    const census = await poolCensus(fx.sim);
    assert.equal(census.byId.get(vm.id), undefined);
    assert.equal(census.looseVdis.length, loose, 'no disk left behind');
    const row = await fx.vm(vm);
    assert.deepEqual([row.status, row.presence], ['deleted', 'released']);
    assert.equal((await fx.get(QuotaService).get(vm.tenantId)).used.vms, 0);
  });

  test('a VM already gone from the pool counts as deleted', async () => {
    const vm = await runningVm();
    const ref = await pool('VM.get_by_uuid', vm.xapiUuid);
    await pool('VM.hard_shutdown', ref);
    await pool('VM.destroy', ref);
    const destroys = await count('Async.VM.destroy', 'VM.destroy');
    assert.equal((await act(vm, 'delete')).status, 'succeeded');
    assert.equal(await count('Async.VM.destroy', 'VM.destroy'), destroys, 'nothing left to destroy');
    assert.deepEqual([(await fx.vm(vm)).status, (await fx.vm(vm)).presence], ['deleted', 'released']);
    assert.equal((await fx.get(QuotaService).get(vm.tenantId)).used.vms, 0);
  });
});

describe('vm.start, vm.stop, vm.reboot', () => {
  test('a stop halts a running VM', async () => {
    const vm = await runningVm();
    assert.equal((await act(vm, 'stop')).status, 'succeeded');
    assert.equal((await record(vm)).power_state, 'Halted');
    assert.deepEqual([(await fx.vm(vm)).status, (await fx.vm(vm)).powerState], ['stopped', 'Halted']);
  });

  test('a stop of a VM XAPI already shows halted calls no shutdown', async () => {
    const vm = await runningVm();
    await pool('VM.hard_shutdown', await pool('VM.get_by_uuid', vm.xapiUuid));
    const shutdowns = await count('Async.VM.clean_shutdown', 'Async.VM.hard_shutdown');
    assert.equal((await act(vm, 'stop')).status, 'succeeded');
    assert.equal(await count('Async.VM.clean_shutdown', 'Async.VM.hard_shutdown'), shutdowns);
    assert.equal((await fx.vm(vm)).status, 'stopped');
  });

  test('a start of a VM XAPI already shows running calls no start', async () => {
    const vm = await runningVm();
    await act(vm, 'stop');
    await pool('VM.start', await pool('VM.get_by_uuid', vm.xapiUuid), false, false);
    const starts = await count('Async.VM.start', 'Async.VM.start_on', 'VM.start', 'VM.start_on');
    assert.equal((await act(vm, 'start')).status, 'succeeded');
    assert.equal(await count('Async.VM.start', 'Async.VM.start_on', 'VM.start', 'VM.start_on'), starts);
    assert.equal((await fx.vm(vm)).status, 'running');
  });

  test('a reboot reboots a running VM, and starts one XAPI shows halted', async () => {
    const vm = await runningVm();
    const [reboots, starts] = [await count('Async.VM.clean_reboot'), await count('Async.VM.start', 'VM.start')];
    assert.equal((await act(vm, 'reboot')).status, 'succeeded');
    assert.equal(await count('Async.VM.clean_reboot'), reboots + 1);
    await pool('VM.hard_shutdown', await pool('VM.get_by_uuid', vm.xapiUuid));
    assert.equal((await act(vm, 'reboot')).status, 'succeeded');
    assert.deepEqual([await count('Async.VM.clean_reboot'), await count('Async.VM.start', 'VM.start')], [reboots + 1, starts + 1]);
    assert.equal((await record(vm)).power_state, 'Running');
    assert.equal((await fx.vm(vm)).status, 'running');
  });

  test('a stop of a VM gone from the pool fails as vanished and releases it', async () => {
    const vm = await runningVm();
    const ref = await pool('VM.get_by_uuid', vm.xapiUuid);
    await pool('VM.hard_shutdown', ref);
    await pool('VM.destroy', ref);
    const op = await act(vm, 'stop');
    assert.deepEqual([op.status, op.errorCode], ['failed', 'vanished']);
    assert.deepEqual([(await fx.vm(vm)).errorReason, (await fx.vm(vm)).presence], ['vanished', 'released']);
    assert.equal((await fx.get(QuotaService).get(vm.tenantId)).used.vms, 0);
  });
});

describe('vm.resize', () => {
  const big = { vcpus: 2, memoryMiB: 1024, diskGiB: 10 };

  test('a running VM is resized live within its maximums, without a reboot', async () => {
    const vm = await runningVm(big);
    const flavor = await fx.seed.flavor({ vcpus: 1, memoryMiB: 768, diskGiB: 10 });
    const [reboots, live] = [await count('Async.VM.clean_reboot', 'Async.VM.hard_reboot'), await count('VM.set_VCPUs_number_live')];
    const op = await fx.seed.resize(vm.tenantId, vm.id, flavor);
    await fx.attempt(op);
    assert.equal((await fx.operation(op)).status, 'succeeded');
    const rec = await record(vm);
    assert.deepEqual([rec.power_state, Number(rec.VCPUs_at_startup), Number(rec.memory_dynamic_max)], ['Running', 1, 768 * MiB]);
    assert.deepEqual([await count('Async.VM.clean_reboot', 'Async.VM.hard_reboot'), await count('VM.set_VCPUs_number_live')], [reboots, live + 1]);
    const row = await fx.vm(vm);
    assert.deepEqual([row.status, row.vcpus, row.memoryMiB], ['running', 1, 768]);
    const used = (await fx.get(QuotaService).get(vm.tenantId)).used;
    assert.deepEqual([used.vcpus, used.memoryMiB], [1, 768]);
  });

  test('a live resize beyond the maximums fails as requires_stop and gives back the sizes and quota', async () => {
    const vm = await runningVm(big);
    const op = await fx.seed.resize(vm.tenantId, vm.id, await fx.seed.flavor({ vcpus: 4, memoryMiB: 2048, diskGiB: 10 }));
    await fx.attempt(op);
    assert.deepEqual([(await fx.operation(op)).status, (await fx.operation(op)).errorCode], ['failed', 'requires_stop']);
    const row = await fx.vm(vm);
    assert.deepEqual([row.status, row.vcpus, row.memoryMiB, row.flavorId], ['running', 2, 1024, vm.flavorId]);
    const used = (await fx.get(QuotaService).get(vm.tenantId)).used;
    assert.deepEqual([used.vcpus, used.memoryMiB], [2, 1024]);
    assert.equal(Number((await record(vm)).VCPUs_max), 2);
  });

  test('a stopped VM gets every limit, and stays stopped', async () => {
    const vm = await runningVm(big);
    await act(vm, 'stop');
    const op = await fx.seed.resize(vm.tenantId, vm.id, await fx.seed.flavor({ vcpus: 4, memoryMiB: 2048, diskGiB: 10 }));
    await fx.attempt(op);
    assert.equal((await fx.operation(op)).status, 'succeeded');
    const rec = await record(vm);
    assert.deepEqual([rec.power_state, Number(rec.VCPUs_max), Number(rec.memory_static_max)], ['Halted', 4, 2048 * MiB]);
    assert.equal((await fx.vm(vm)).status, 'stopped');
  });
});
