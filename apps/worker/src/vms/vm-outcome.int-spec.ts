import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  ImageRepository,
  JobName,
  OperationRepository,
  SnapshotRepository,
  VmBootstrapRepository,
  VmNicRepository,
  VmRepository,
  VolumeRepository,
  createLogger,
  type OperationEntity,
  type VmEntity,
} from '@xenplane/core';
import { vmFootprint } from '@xenplane/tenancy';
import { startQuotaFixture, type QuotaFixture, type VmSize } from '@xenplane/tenancy/testing';
import { simFault, startSimProcess, type SimProcess } from '@xenplane/testing';
import { XapiClient, XapiPool } from '@xenplane/xapi-driver';
import type { JobFailure } from '../pipeline/job-failure.js';
import { VM_ID_KEY } from './vm-markers.js';
import { cloneMarker } from './vm-locator.js';
import { loadWorkerConfig } from '../config/worker-env.js';
import { ConfigDriveService } from './config-drive.service.js';
import { VmOutcomeService } from './vm-outcome.service.js';

let fx: QuotaFixture;
let sim: SimProcess;
let client: XapiClient;
let pool: XapiPool;
let outcome: VmOutcomeService;
let vms: VmRepository;
let operations: OperationRepository;

before(async () => {
  [fx, sim] = await Promise.all([startQuotaFixture(8), startSimProcess({ SIM_HOSTS: '1' })]);
  client = new XapiClient({ url: sim.url, username: 'root', password: 'xenroot', originator: 'quota-tests' });
  pool = new XapiPool(client);
  vms = new VmRepository(fx.ds);
  operations = new OperationRepository(fx.ds);
  const drives = new ConfigDriveService(
    loadWorkerConfig({ DATABASE_URL: 'postgres://unused@127.0.0.1/x' }),
    new VmBootstrapRepository(fx.ds),
    new VmNicRepository(fx.ds),
    new ImageRepository(fx.ds),
  );
  outcome = new VmOutcomeService(
    fx.ds,
    vms,
    operations,
    fx.quota,
    fx.lifecycle,
    new VolumeRepository(fx.ds),
    createLogger('worker', 'silent'),
    drives,
    new SnapshotRepository(fx.ds),
  );
});
after(async () => {
  await client?.close();
  await sim?.stop();
  await fx?.close();
});

const SIZE: VmSize = { vcpus: 1, memoryMiB: 512, diskGiB: 4 };
const FAILURE: JobFailure = { terminal: true, code: 'no_capacity', detail: 'HOST_NOT_ENOUGH_FREE_MEMORY' };
const ZERO = {
  vms: 0,
  vcpus: 0,
  memoryMiB: 0,
  diskGiB: 0,
  networks: 0,
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
};

/** What VmsService.create does: charge, VM row and vm.create operation in one transaction. */
async function createVm(tenantId: string, size = SIZE): Promise<{ vm: VmEntity; op: OperationEntity }> {
  const [vmId, opId] = [randomUUID(), randomUUID()];
  const op = await fx.ds.transaction(async (tx) => {
    await fx.quota.charge(tx, tenantId, vmFootprint(size), { resourceId: vmId, operationId: opId });
    await fx.insertVm(tx, tenantId, vmId, size);
    return operations.insert(tx, { id: opId, tenantId, kind: JobName.VmCreate, resourceType: 'vm', resourceId: vmId, requestId: null });
  });
  return { vm: (await vms.find(tenantId, vmId))!, op };
}

/** A created VM that ran, with its vm.delete operation queued (as the API leaves it). */
async function deletableVm(tenantId: string): Promise<{ vm: VmEntity; op: OperationEntity }> {
  const { vm, op } = await createVm(tenantId);
  await operations.succeed(fx.ds.manager, tenantId, op.id);
  await vms.update(fx.ds.manager, tenantId, vm.id, { status: 'deleting' });
  const del = await fx.ds.transaction((tx) =>
    operations.insert(tx, { id: randomUUID(), tenantId, kind: JobName.VmDelete, resourceType: 'vm', resourceId: vm.id, requestId: null }),
  );
  return { vm: (await vms.find(tenantId, vm.id))!, op: del };
}

const ctx = (vm: VmEntity, operation: OperationEntity, xapi = pool, lastAttempt = true) => ({
  resource: vm,
  operation,
  xapi: () => Promise.resolve(xapi),
  lastAttempt,
});

async function releases(vmId: string): Promise<number> {
  const [row] = await fx.ds.query(`SELECT count(*)::int AS n FROM quota_ledger WHERE resource_id = $1 AND kind = 'release'`, [vmId]);
  return row.n;
}

describe('the worker releases quota once, when the VM is gone from XAPI', () => {
  test('a delete delivered three times at once releases once, with status deleted', async () => {
    const tenantId = await fx.tenant({ vms: 1 });
    const { vm, op } = await deletableVm(tenantId);
    await Promise.all([1, 2, 3].map(() => outcome.succeeded(ctx(vm, op))));
    assert.equal((await vms.find(tenantId, vm.id))!.status, 'deleted');
    assert.equal(await releases(vm.id), 1);
    assert.deepEqual((await fx.stored(tenantId)).used, ZERO);
    assert.deepEqual((await fx.quota.recount(tenantId)).drift, ZERO);
  });

  test('a failed create destroys the partial VM on the pool and releases; a later delete of the error VM releases nothing more', async () => {
    const tenantId = await fx.tenant();
    const { vm, op } = await createVm(tenantId);
    const half = await pool.cloneTemplate('Debian Bookworm 12', 'half-made');
    await pool.completeProvisioning(half.ref, { nameLabel: 'half-made', otherConfig: { [VM_ID_KEY]: vm.id }, memoryBytes: 512 * 2 ** 20, vcpus: 1 });
    await outcome.failed(ctx(vm, op), FAILURE);
    assert.equal(await pool.findVmByOtherConfig(VM_ID_KEY, vm.id), null, 'nothing of it is left on the pool');
    const after = (await vms.find(tenantId, vm.id))!;
    assert.deepEqual([after.status, after.errorReason], ['error', 'no_capacity']);
    assert.deepEqual((await fx.stored(tenantId)).used, ZERO);
    assert.deepEqual((await fx.quota.recount(tenantId)).drift, ZERO, 'a released error VM is not counted back');

    const del = await fx.ds.transaction((tx) =>
      operations.insert(tx, { id: randomUUID(), tenantId, kind: JobName.VmDelete, resourceType: 'vm', resourceId: vm.id, requestId: null }),
    );
    await outcome.succeeded(ctx(after, del));
    assert.equal(await releases(vm.id), 1);
    assert.deepEqual((await fx.stored(tenantId)).used, ZERO);
    assert.deepEqual(await fx.ledgerSum(tenantId), ZERO);
  });

  test('a failed create whose look-up for the clone fails retries before its last attempt instead of leaving the clone', async () => {
    const tenantId = await fx.tenant();
    const { vm, op } = await createVm(tenantId);
    // a clone still carrying its marker, as a VM.provision refused with SR_FULL leaves it (faults e2e)
    const half = await pool.cloneTemplate('Debian Bookworm 12', cloneMarker(vm.id));
    await simFault(sim, { method: 'VM.get_record', code: 'HTTP_500', times: 1 });
    await assert.rejects(outcome.failed(ctx(vm, op, pool, false), FAILURE), /HTTP 500/);
    assert.equal((await vms.find(tenantId, vm.id))!.status, vm.status, 'nothing recorded yet');
    assert.equal((await pool.findVmByNameLabel(cloneMarker(vm.id)))?.uuid, half.uuid, 'the clone is still there to find');
    await outcome.failed(ctx(vm, op, pool, false), FAILURE); // the retry
    assert.equal(await pool.findVmByNameLabel(cloneMarker(vm.id)), null, 'nothing of it is left on the pool');
    assert.deepEqual((await fx.stored(tenantId)).used, ZERO);
  });

  test('a failed create whose pool cannot be asked keeps its quota until a delete confirms it is gone', async () => {
    const tenantId = await fx.tenant();
    const { vm, op } = await createVm(tenantId);
    const unreachable = new XapiClient({ url: 'http://127.0.0.1:9', username: 'root', password: 'x', callTimeoutMs: 2000 });
    try {
      await outcome.failed(ctx(vm, op, new XapiPool(unreachable)), FAILURE);
    } finally {
      await unreachable.close().catch(() => undefined);
    }
    assert.equal((await vms.find(tenantId, vm.id))!.status, 'error');
    assert.deepEqual((await fx.stored(tenantId)).used, vmFootprint(SIZE));
    assert.deepEqual((await fx.quota.recount(tenantId)).drift, ZERO, 'an unreleased error VM still counts');
  });

  test('mixed creates, duplicated deletes and limit changes across tenants: usage equals the recount everywhere', async () => {
    const tenants = await Promise.all([fx.tenant({ vms: 10 }), fx.tenant({ vms: 10 }), fx.tenant({ vms: 10, vcpus: 12 })]);
    const running = await Promise.all(tenants.map(async (t) => Promise.all(Array.from({ length: 8 }, () => deletableVm(t)))));
    const created: boolean[][] = tenants.map(() => []);
    await Promise.all(
      tenants.flatMap((t, i) => [
        // Each delete is delivered twice, racing the other tenant work.
        ...running[i].flatMap(({ vm, op }) => [outcome.succeeded(ctx(vm, op)), outcome.succeeded(ctx(vm, op))]),
        ...Array.from({ length: 15 }, () =>
          createVm(t).then(
            () => created[i].push(true),
            (e: { code?: string }) => {
              assert.equal(e.code, 'quota_exceeded');
            },
          ),
        ),
        ...(i === 1 ? [fx.quota.setLimits(t, { vms: 12, vcpus: null, memoryMiB: null, diskGiB: null, networks: null })] : []),
      ]),
    );
    for (const [i, t] of tenants.entries()) {
      const used = (await fx.stored(t)).used;
      assert.equal(used.vms, created[i].length, `tenant ${i}: usage is exactly the creates that were accepted`);
      assert.ok(used.vms <= (i === 1 ? 12 : 10), `tenant ${i}: within its limit`);
      assert.deepEqual(await fx.ledgerSum(t), used);
      assert.deepEqual((await fx.quota.recount(t)).drift, ZERO);
      for (const { vm } of running[i]) assert.equal(await releases(vm.id), 1);
    }
  });
});
