// The worker's half of placement against the simulator: the API's host claim is where the VM starts, and a claim
// XAPI no longer backs (the host disabled since) is chosen again on the pool, recorded on the operation and the row.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HostRepository } from '@xenplane/core';
import { XapiPoolsService } from '../pools/xapi-pools.service.js';
import { startWorkerFixture, type WorkerFixture } from '../testing/worker-fixture.js';

let fx: WorkerFixture;
let hosts: { id: string; xapiUuid: string; name: string }[];
before(async () => {
  fx = await startWorkerFixture({ simEnv: { SIM_HOSTS: '3' } });
  // What pool sync records (the fixture leaves its loop out).
  const observed = await (await fx.get(XapiPoolsService).forPool(fx.poolId)).listHosts();
  const rows = observed.map((h) => ({ ...h, xapiUuid: h.uuid, memoryTotalBytes: h.memoryTotal, memoryFreeBytes: h.memoryFree }));
  await fx.ds.transaction((tx) => fx.get(HostRepository).replaceForPool(tx, fx.poolId, rows));
  hosts = await fx.ds.query(`SELECT id, xapi_uuid AS "xapiUuid", name FROM hosts WHERE pool_id = $1 ORDER BY name`, [fx.poolId]);
  assert.equal(hosts.length, 3);
});
after(async () => {
  await fx?.close();
});

const residentUuid = async (xapiUuid: string) => {
  const ref = await fx.pool('VM.get_by_uuid', xapiUuid);
  return fx.pool('host.get_uuid', await fx.pool('VM.get_resident_on', ref));
};

describe("the pool's storage room", () => {
  test("the default SR's free bytes are its physical size less its utilisation, as pool sync records them", async () => {
    const xapi = await fx.get(XapiPoolsService).forPool(fx.poolId);
    const free = await xapi.defaultSrFreeBytes();
    const sr = await fx.pool('pool.get_default_SR', (await fx.pool('pool.get_all'))[0]);
    const [size, used] = [Number(await fx.pool('SR.get_physical_size', sr)), Number(await fx.pool('SR.get_physical_utilisation', sr))];
    assert.ok(size > 0);
    assert.equal(free, size - used);
  });
});

describe('vm.create starts the VM where placement put it', () => {
  test("the API's claim is the host it starts on, not XAPI's choice", async () => {
    const tenantId = await fx.seed.tenant();
    for (const claim of [hosts[2], hosts[1]]) {
      const { vm, operation } = await fx.seed.vm(tenantId);
      await fx.ds.query(`UPDATE vms SET placed_host_id = $2 WHERE id = $1`, [vm.id, claim.id]);
      await fx.attempt(operation);
      const done = await fx.vm(vm);
      assert.equal(done.status, 'running');
      assert.equal(await residentUuid(done.xapiUuid!), claim.xapiUuid);
    }
  });

  test('a claimed host XAPI shows disabled is chosen again on the pool, and the new decision recorded', async () => {
    const tenantId = await fx.seed.tenant();
    const { vm, operation } = await fx.seed.vm(tenantId);
    await fx.ds.query(`UPDATE vms SET placed_host_id = $2 WHERE id = $1`, [vm.id, hosts[0].id]);
    const ref = await fx.pool('host.get_by_uuid', hosts[0].xapiUuid);
    await fx.pool('host.disable', ref);
    try {
      await fx.attempt(operation);
    } finally {
      await fx.pool('host.enable', ref);
    }
    const done = await fx.vm(vm);
    assert.equal(done.status, 'running');
    const on = await residentUuid(done.xapiUuid!);
    assert.notEqual(on, hosts[0].xapiUuid);
    assert.equal(hosts.find((h) => h.id === done.placedHostId)?.xapiUuid, on, 'the row holds the new claim');
    const placement = (await fx.operation(operation)).placement as { stage: string; hostId: string; rejected: { byReason: Record<string, number> } };
    assert.equal(placement.stage, 'worker');
    assert.equal(placement.hostId, done.placedHostId);
  });
});
