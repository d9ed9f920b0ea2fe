// Host maintenance against the simulator, one evacuation pass at a time: batches, the VMs that cannot leave (not
// ours, a move that failed: listed, never retried in a loop), the operator's cancel, and the host given back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HostRepository, type OperationEntity } from '@xenplane/core';
import { simFault } from '@xenplane/testing';
import { XapiPoolsService } from '../pools/xapi-pools.service.js';
import { FIXTURE_FEATURES, startWorkerFixture, type WorkerFixture } from '../testing/worker-fixture.js';
import { FleetModule } from './fleet.module.js';
import { HostEvacuationService } from './host-evacuation.service.js';

let fx: WorkerFixture;
let hosts: { id: string; xapiUuid: string; ref: string }[];
before(async () => {
  fx = await startWorkerFixture({
    simEnv: { SIM_HOSTS: '3' },
    features: [...FIXTURE_FEATURES, FleetModule],
    env: { EVACUATION_BATCH_SIZE: '2', EVACUATION_INTERVAL_MS: '600000' },
  });
  // What pool sync records (the fixture leaves its loop out).
  const observed = await (await fx.get(XapiPoolsService).forPool(fx.poolId)).listHosts();
  const rows = observed.map((h) => ({ ...h, xapiUuid: h.uuid, memoryTotalBytes: h.memoryTotal, memoryFreeBytes: h.memoryFree }));
  await fx.ds.transaction((tx) => fx.get(HostRepository).replaceForPool(tx, fx.poolId, rows));
  const found = await fx.ds.query(`SELECT id, xapi_uuid AS "xapiUuid" FROM hosts WHERE pool_id = $1 ORDER BY name`, [fx.poolId]);
  hosts = await Promise.all(found.map(async (h: { id: string; xapiUuid: string }) => ({ ...h, ref: await fx.pool('host.get_by_uuid', h.xapiUuid) })));
});
after(async () => {
  await fx?.close();
});

const evacuation = () => fx.get(HostEvacuationService);
const hostRow = async (id: string) => (await fx.get(HostRepository).find(id))!;
const setMaintenance = (id: string, enabled: boolean) => fx.ds.transaction((tx) => fx.get(HostRepository).setMaintenance(tx, id, enabled));
const migrations = (state?: string): Promise<OperationEntity[]> =>
  fx.ds.query<OperationEntity[]>(
    `SELECT id, tenant_id AS "tenantId", kind, resource_id AS "resourceId", status FROM operations WHERE kind = 'vm.migrate'
      AND ($1::text IS NULL OR status = $1) ORDER BY created_at`,
    [state ?? null],
  );
const residentHost = async (xapiUuid: string) => fx.pool('VM.get_resident_on', await fx.pool('VM.get_by_uuid', xapiUuid));

describe('host maintenance', () => {
  test('drains in batches, lists what cannot leave without retrying it, and gives the host back', async () => {
    const [h1] = hosts;
    const tenantId = await fx.seed.tenant();
    const vms = [];
    for (let i = 0; i < 3; i++) {
      const { vm, operation } = await fx.seed.vm(tenantId);
      await fx.ds.query(`UPDATE vms SET placed_host_id = $2 WHERE id = $1`, [vm.id, h1.id]);
      await fx.attempt(operation);
      vms.push(await fx.vm(vm));
    }
    // A guest xenplane does not manage, on the same host.
    const template = (await fx.pool('VM.get_by_name_label', 'Debian Bookworm 12'))[0];
    const foreign = await fx.pool('VM.clone', template, 'not-ours');
    await fx.pool('VM.provision', foreign);
    await fx.pool('VM.start_on', foreign, h1.ref, false, false);

    await setMaintenance(h1.id, true);
    await evacuation().kick();
    assert.equal(await fx.pool('host.get_enabled', h1.ref), false, 'disabled on XAPI first');
    let queued = await migrations('queued');
    assert.equal(queued.length, 2, 'one batch (EVACUATION_BATCH_SIZE) at a time');
    assert.deepEqual(
      (await hostRow(h1.id)).maintenanceBlockers.map((b) => b.code),
      ['not_managed'],
    );
    await evacuation().kick();
    assert.equal((await migrations()).length, 2, 'no more while the batch is in flight');

    // The first move fails on the pool (terminally); the second succeeds.
    await simFault(fx.sim, { method: 'Async.VM.pool_migrate', code: 'VM_MIGRATE_FAILED', params: ['x', 'y', 'z', 'injected'] });
    await fx.attempt(queued[0], { attempts: 1 });
    await fx.attempt(queued[1]);
    const [failedOp, movedOp] = [await fx.operation(queued[0]), await fx.operation(queued[1])];
    assert.deepEqual([failedOp.status, failedOp.errorCode, movedOp.status], ['failed', 'migration_failed', 'succeeded']);
    const failedVm = vms.find((v) => v.id === failedOp.resourceId)!;
    assert.equal(await residentHost(failedVm.xapiUuid!), h1.ref, 'a failed move leaves the VM running where it was');
    assert.equal((await fx.vm(failedVm)).status, 'running');
    const moved = vms.find((v) => v.id === movedOp.resourceId)!;
    assert.equal(await residentHost(moved.xapiUuid!), hosts.find((h) => h.id === (movedOp.checkpoint.toHostId as string))!.ref);

    await evacuation().kick();
    queued = await migrations('queued');
    assert.equal(queued.length, 1, 'the third VM goes now; the failed one is not retried');
    await fx.attempt(queued[0]);
    for (let i = 0; i < 3; i++) await evacuation().kick();
    assert.equal((await migrations()).filter((m) => m.resourceId === failedVm.id).length, 1, 'no retry storm');
    let row = await hostRow(h1.id);
    assert.equal(row.maintenance, 'draining');
    assert.deepEqual(row.maintenanceBlockers.map((b) => [b.code, b.vmId]).sort(), [
      ['migration_failed', failedVm.id],
      ['not_managed', null],
    ]);

    // The operator decides: the foreign guest is stopped, and the maintenance asked for again retries the failed move.
    await fx.pool('VM.hard_shutdown', foreign);
    await setMaintenance(h1.id, false);
    await setMaintenance(h1.id, true);
    await evacuation().kick();
    queued = await migrations('queued');
    assert.deepEqual(
      queued.map((q) => q.resourceId),
      [failedVm.id],
    );
    await fx.attempt(queued[0]);
    await evacuation().kick();
    row = await hostRow(h1.id);
    assert.deepEqual([row.maintenance, row.maintenanceBlockers], ['maintenance', []]);
    for (const vm of vms) {
      assert.notEqual(await residentHost(vm.xapiUuid!), h1.ref);
      assert.equal((await fx.vm(vm)).status, 'running');
    }

    await setMaintenance(h1.id, false);
    await evacuation().kick();
    assert.equal(await fx.pool('host.get_enabled', h1.ref), true, 'the host takes VMs again');
    assert.equal((await hostRow(h1.id)).maintenanceDisabled, false);
  });
});
