import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { QueryRunner } from 'typeorm';
import { metricsRegistry } from '@xenplane/core';
import { startQuotaFixture, type QuotaFixture } from '../testing/quota-fixture.js';
import { ZERO, vmFootprint } from './quota-math.js';
import { QuotaExceededError } from './quota.errors.js';

let fx: QuotaFixture;
before(async () => {
  fx = await startQuotaFixture();
});
after(async () => {
  await fx?.close();
});

const ref = () => ({ resourceId: randomUUID(), operationId: randomUUID() });

async function connection(): Promise<{ runner: QueryRunner; pid: number }> {
  const runner = fx.ds.createQueryRunner();
  await runner.connect();
  const [{ pid }] = await runner.query('SELECT pg_backend_pid() AS pid');
  return { runner, pid };
}

/** Resolves once `pid` waits on a lock; fails after 5 s. */
async function blockedOnLock(pid: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const [row] = await fx.ds.query(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [pid]);
    if (row?.wait_event_type === 'Lock') return;
    await sleep(10);
  }
  throw new Error(`backend ${pid} never waited on a lock`);
}

function settle<T>(p: Promise<T>) {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  const settled = p.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return { state, settled };
}

describe('interleaving at the quota check (two connections, controlled order)', () => {
  for (const outcome of ['commit', 'rollback'] as const) {
    test(`the second charge waits on the row lock, then sees the first one's ${outcome}`, async () => {
      const tenantId = await fx.tenant({ vms: 1 });
      const c1 = await connection();
      const c2 = await connection();
      try {
        await c1.runner.startTransaction();
        assert.equal(await fx.quota.charge(c1.runner.manager, tenantId, { vms: 1 }, ref()), true, 'tx1 takes the last unit');
        await c2.runner.startTransaction();
        const second = settle(fx.quota.charge(c2.runner.manager, tenantId, { vms: 1 }, ref()));
        await blockedOnLock(c2.pid);
        assert.equal(second.state.done, false, 'tx2 is still pending while tx1 holds the row');
        await (outcome === 'commit' ? c1.runner.commitTransaction() : c1.runner.rollbackTransaction());
        await second.settled;
        if (outcome === 'commit') {
          assert.ok(second.state.error instanceof QuotaExceededError, String(second.state.error));
          assert.deepEqual(second.state.error.extra, { resource: 'vms', limit: 1, used: 1, requested: 1 });
          await c2.runner.rollbackTransaction();
        } else {
          assert.equal(second.state.value, true, 'after a rollback the unit is free again');
          await c2.runner.commitTransaction();
        }
        assert.equal((await fx.stored(tenantId)).used.vms, 1);
      } finally {
        await c1.runner.release();
        await c2.runner.release();
      }
    });
  }
});

describe('charge, release and recount', () => {
  test('a limit lowered below usage blocks growth only; shrinking still passes', async () => {
    const tenantId = await fx.tenant({ vcpus: 8 });
    await fx.ds.transaction((tx) => fx.quota.charge(tx, tenantId, { vcpus: 6 }, ref()));
    await fx.quota.setLimits(tenantId, { vms: null, vcpus: 4, memoryMiB: null, diskGiB: null, networks: null });
    await assert.rejects(
      fx.ds.transaction((tx) => fx.quota.charge(tx, tenantId, { vcpus: 1 }, ref())),
      (e: QuotaExceededError) => e.code === 'quota_exceeded' && e.extra.resource === 'vcpus' && e.extra.used === 6 && e.extra.limit === 4,
    );
    // A resize that grows an unlimited dimension and shrinks the capped one fits.
    await fx.ds.transaction((tx) => fx.quota.charge(tx, tenantId, { vcpus: -1, memoryMiB: 512 }, ref()));
    assert.deepEqual((await fx.stored(tenantId)).used, { ...ZERO, vcpus: 5, memoryMiB: 512 });
  });

  test('a release happens once per resource, however many operations and deliveries try', async () => {
    const tenantId = await fx.tenant();
    const vm = { vcpus: 2, memoryMiB: 1024, diskGiB: 10 };
    const vmId = randomUUID();
    await fx.ds.transaction(async (tx) => {
      await fx.quota.charge(tx, tenantId, vmFootprint(vm), { resourceId: vmId, operationId: randomUUID() });
      await fx.insertVm(tx, tenantId, vmId, vm);
    });
    const failedCreate = randomUUID();
    const laterDelete = randomUUID();
    const tries = [failedCreate, failedCreate, laterDelete, laterDelete, failedCreate, laterDelete];
    const results = await Promise.all(
      tries.map((operationId) => fx.ds.transaction((tx) => fx.quota.release(tx, tenantId, vmFootprint(vm), { resourceId: vmId, operationId }))),
    );
    assert.equal(results.filter(Boolean).length, 1);
    assert.deepEqual((await fx.stored(tenantId)).used, ZERO);
    assert.deepEqual(await fx.ledgerSum(tenantId), ZERO);
  });

  test('usage can never go negative, even by a statement that bypasses the service', async () => {
    const tenantId = await fx.tenant();
    await assert.rejects(
      fx.ds.query(`UPDATE tenant_quotas SET vcpus_used = vcpus_used - 1 WHERE tenant_id = $1`, [tenantId]),
      /ck_tenant_quotas_vcpus_used/,
    );
  });

  test('recount sets usage from the VM rows under the lock, reports the drift once, and records it', async () => {
    const tenantId = await fx.tenant();
    const vm = { vcpus: 2, memoryMiB: 512, diskGiB: 4 };
    await fx.ds.transaction(async (tx) => {
      for (let i = 0; i < 3; i++) {
        const r = ref();
        await fx.quota.charge(tx, tenantId, vmFootprint(vm), r);
        await fx.insertVm(tx, tenantId, r.resourceId, vm);
      }
    });
    assert.deepEqual((await fx.quota.recount(tenantId)).drift, ZERO);
    // Drift injected behind the service's back: two VMs gone without a release, one made without a charge.
    await fx.ds.query(`UPDATE vms SET status = 'deleted', presence = 'released' WHERE id IN (SELECT id FROM vms WHERE tenant_id = $1 LIMIT 2)`, [
      tenantId,
    ]);
    await fx.ds.transaction((tx) => fx.insertVm(tx, tenantId, randomUUID(), { vcpus: 1, memoryMiB: 2048, diskGiB: 4 }, 'running'));
    const before = await metricValue('vcpus');
    const result = await fx.quota.recount(tenantId);
    assert.deepEqual(result.drift, {
      vms: -1,
      vcpus: -3,
      memoryMiB: 1024,
      diskGiB: -4,
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
    });
    assert.deepEqual(result.quota.used, {
      vms: 2,
      vcpus: 3,
      memoryMiB: 2560,
      diskGiB: 8,
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
    });
    assert.equal((await metricValue('vcpus')) - before, 3);
    assert.deepEqual(await fx.ledgerSum(tenantId), result.quota.used, 'the correction is in the ledger too');
    const audited = await fx.ds.query(`SELECT path, error_code FROM audit_log WHERE tenant_id = $1 AND route = 'quota.recount'`, [tenantId]);
    assert.equal(audited.length, 1, 'the correction is an audit entry');
    assert.match(audited[0].path, /vcpus-3/);
    assert.deepEqual((await fx.quota.recount(tenantId)).drift, ZERO, 'a second recount finds nothing');
    assert.equal((await fx.ds.query(`SELECT 1 FROM audit_log WHERE tenant_id = $1 AND route = 'quota.recount'`, [tenantId])).length, 1);
  });

  test('a tenant that predates its quota row gets one, counted from what it holds, on any path', async () => {
    const tenantId = await fx.tenant();
    const dropRow = () => fx.ds.query(`DELETE FROM tenant_quotas WHERE tenant_id = $1`, [tenantId]);
    const [vm1, vm2] = [
      { vcpus: 3, memoryMiB: 256, diskGiB: 2 },
      { vcpus: 1, memoryMiB: 128, diskGiB: 1 },
    ];
    const [id1, id2] = [randomUUID(), randomUUID()];
    await fx.ds.transaction((tx) => fx.insertVm(tx, tenantId, id1, vm1));
    await dropRow();
    assert.deepEqual((await fx.quota.get(tenantId)).used, vmFootprint(vm1));
    await dropRow();
    await fx.ds.transaction(async (tx) => {
      await fx.quota.charge(tx, tenantId, vmFootprint(vm2), { resourceId: id2, operationId: randomUUID() });
      await fx.insertVm(tx, tenantId, id2, vm2);
    });
    assert.deepEqual((await fx.stored(tenantId)).used, {
      vms: 2,
      vcpus: 4,
      memoryMiB: 384,
      diskGiB: 3,
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
    });
    await dropRow();
    await fx.ds.transaction((tx) =>
      fx.lifecycle.apply(tx, { kind: 'vm', tenantId, id: id1 }, 'gone', { patch: { status: 'deleted' }, operationId: randomUUID() }),
    );
    assert.deepEqual((await fx.stored(tenantId)).used, vmFootprint(vm2));
    assert.deepEqual((await fx.quota.recount(tenantId)).drift, ZERO);
  });
});

async function metricValue(resource: string): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('xenplane_quota_drift_total')!.get();
  return metric.values.find((v) => v.labels.resource === resource)?.value ?? 0;
}
