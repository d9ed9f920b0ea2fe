// Restart after host failure against the simulator (/sim/hosts/k/down), one detector pass at a time: a host is
// declared dead only after the pool's grace with its master answering; protected VMs start elsewhere exactly once,
// others stop with host_failed; a host back in time gets nothing; the reset is the fence (HOST_IS_LIVE).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HostRepository, JobName, OperationLauncher, OperationRepository, type OperationEntity } from '@xenplane/core';
import { simControl } from '@xenplane/testing';
import { XapiPoolsService } from '../pools/xapi-pools.service.js';
import { FIXTURE_FEATURES, startWorkerFixture, type WorkerFixture } from '../testing/worker-fixture.js';
import { FleetModule } from './fleet.module.js';
import { HostFailureService } from './host-failure.service.js';

let fx: WorkerFixture;
let hosts: { id: string; xapiUuid: string; ref: string }[];
before(async () => {
  fx = await startWorkerFixture({
    simEnv: { SIM_HOSTS: '3' },
    features: [...FIXTURE_FEATURES, FleetModule],
    env: { HOST_FAILURE_INTERVAL_MS: '600000', EVACUATION_INTERVAL_MS: '600000' },
  });
  const observed = await (await fx.get(XapiPoolsService).forPool(fx.poolId)).listHosts();
  const rows = observed.map((h) => ({ ...h, xapiUuid: h.uuid, memoryTotalBytes: h.memoryTotal, memoryFreeBytes: h.memoryFree }));
  await fx.ds.transaction((tx) => fx.get(HostRepository).replaceForPool(tx, fx.poolId, rows));
  await fx.ds.query(`UPDATE pools SET status = 'connected' WHERE id = $1`, [fx.poolId]);
  const found = await fx.ds.query(`SELECT id, xapi_uuid AS "xapiUuid" FROM hosts WHERE pool_id = $1 ORDER BY name`, [fx.poolId]);
  hosts = await Promise.all(found.map(async (h: { id: string; xapiUuid: string }) => ({ ...h, ref: await fx.pool('host.get_by_uuid', h.xapiUuid) })));
});
after(async () => {
  await fx?.close();
});

const detector = () => fx.get(HostFailureService);
const grace = (seconds: number) => fx.ds.query(`UPDATE pools SET host_failure_grace_seconds = $2 WHERE id = $1`, [fx.poolId, seconds]);
const recoveries = (): Promise<OperationEntity[]> =>
  fx.ds.query<OperationEntity[]>(
    `SELECT id, tenant_id AS "tenantId", kind, resource_id AS "resourceId", status, error_code AS "errorCode" FROM operations
      WHERE kind IN ('vm.restart-after-failure', 'vm.stop-after-failure') ORDER BY created_at`,
  );
const resident = async (xapiUuid: string) => {
  const ref = await fx.pool('VM.get_by_uuid', xapiUuid);
  return [await fx.pool('VM.get_power_state', ref), await fx.pool('VM.get_resident_on', ref)];
};
const starts = async () => {
  const calls = await fx.calls();
  return (calls['VM.start_on'] ?? 0) + (calls['Async.VM.start_on'] ?? 0);
};

/** A VM of a new tenant running on `host`, of a flavor that restarts its VMs or not. */
async function vmOn(host: { id: string }, restartOnHostFailure: boolean) {
  const flavor = await fx.seed.flavor();
  await fx.ds.query(`UPDATE flavors SET restart_on_host_failure = $2 WHERE id = $1`, [flavor.id, restartOnHostFailure]);
  const { vm, operation } = await fx.seed.vm(await fx.seed.tenant(), { flavor });
  await fx.ds.query(`UPDATE vms SET placed_host_id = $2 WHERE id = $1`, [vm.id, host.id]);
  await fx.attempt(operation);
  return fx.vm(vm);
}

describe('restart after host failure', () => {
  test('protected VMs start elsewhere exactly once, others stop with host_failed; the host returns to nothing', async () => {
    const h3 = hosts[2];
    await grace(0);
    const [protectedVm, plain] = [await vmOn(h3, true), await vmOn(h3, false)];
    assert.deepEqual([protectedVm.restart, plain.restart], [true, false], "a VM takes its flavor's restartOnHostFailure");
    assert.deepEqual(await resident(protectedVm.xapiUuid!), ['Running', h3.ref]);

    await simControl(fx.sim, '/sim/hosts/3/down');
    await detector().kick();
    assert.equal((await recoveries()).length, 0, 'first seen not live: not declared yet');
    assert.ok((await fx.get(HostRepository).find(h3.id))!.notLiveSince);
    // Concurrent and repeated passes launch one operation per VM.
    await Promise.all([detector().kick(), detector().kick()]);
    await detector().kick();
    const ops = await recoveries();
    assert.deepEqual(
      ops.map((o) => [o.resourceId, o.kind, o.status]).sort(),
      [
        [plain.id, JobName.VmStopAfterFailure, 'queued'],
        [protectedVm.id, JobName.VmRestartAfterFailure, 'queued'],
      ].sort(),
    );
    assert.ok((await fx.get(HostRepository).find(h3.id))!.failedAt);

    const before = await starts();
    for (const op of ops) await fx.attempt(op);
    assert.deepEqual(
      (await recoveries()).map((o) => o.status),
      ['succeeded', 'succeeded'],
    );
    assert.equal((await starts()) - before, 1, 'one start: the protected VM');
    const [power, host] = await resident(protectedVm.xapiUuid!);
    assert.equal(power, 'Running');
    assert.notEqual(host, h3.ref);
    const restarted = await fx.vm(protectedVm);
    assert.deepEqual([restarted.status, restarted.errorReason], ['running', null]);
    assert.equal(restarted.hostUuid, await fx.pool('host.get_uuid', host));
    const stopped = await fx.vm(plain);
    assert.deepEqual([stopped.status, stopped.errorReason, stopped.powerState], ['stopped', 'host_failed', 'Halted']);
    assert.deepEqual(await resident(plain.xapiUuid!), ['Halted', 'OpaqueRef:NULL']);

    // A worker that died after the start and runs the job again: the VM already runs elsewhere, it is not started again.
    const restartOp = ops.find((o) => o.resourceId === protectedVm.id)!;
    await fx.ds.query(`UPDATE operations SET status = 'running', finished_at = NULL WHERE id = $1`, [restartOp.id]);
    await fx.attempt(restartOp);
    assert.equal((await fx.operation(restartOp)).status, 'succeeded');
    assert.equal((await starts()) - before, 1, 'a resumed job does not start it twice');
    await detector().kick();
    assert.equal((await recoveries()).length, 2, 'nothing is left on the dead host to recover');

    // The host boots again: nothing of ours is still shown there, and it forgets its failure.
    const up = (await simControl(fx.sim, '/sim/hosts/3/up')) as { halted: number };
    assert.equal(up.halted, 0);
    await detector().kick();
    const back = (await fx.get(HostRepository).find(h3.id))!;
    assert.deepEqual([back.notLiveSince, back.failedAt], [null, null]);
    assert.deepEqual(await resident(protectedVm.xapiUuid!), ['Running', host]);
    assert.equal((await recoveries()).length, 2);
  });

  test('a host back before the grace ends gets no restarts; a reset while the host is alive is refused (the fence)', async () => {
    const h2 = hosts[1];
    await grace(3600);
    const vm = await vmOn(h2, true);
    await simControl(fx.sim, '/sim/hosts/2/down');
    for (let i = 0; i < 3; i++) await detector().kick();
    await simControl(fx.sim, '/sim/hosts/2/up');
    await detector().kick();
    assert.equal((await recoveries()).filter((o) => o.resourceId === vm.id).length, 0, 'never declared dead');
    assert.equal((await fx.get(HostRepository).find(h2.id))!.failedAt, null);

    // An operation that believes the host dead while the pool shows it alive: XAPI refuses the reset, nothing starts.
    const running = await vmOn(h2, true);
    const op = await fx.ds.transaction(async (tx) => {
      const o = await fx
        .get(OperationLauncher)
        .launch(tx, running.tenantId, JobName.VmRestartAfterFailure, { type: 'vm', id: running.id }, { requestId: null });
      await fx.get(OperationRepository).checkpoint(tx, running.tenantId, o.id, 'declared', { failedHostId: h2.id, failedHostUuid: h2.xapiUuid });
      return o;
    });
    await fx.attempt(op);
    const ended = await fx.operation(op);
    assert.deepEqual([ended.status, ended.errorCode], ['failed', 'host_alive']);
    assert.deepEqual(await resident(running.xapiUuid!), ['Running', h2.ref]);
    assert.equal((await fx.vm(running)).status, 'running');
  });
});
