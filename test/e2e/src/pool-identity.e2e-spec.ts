// A simulator started from scratch under a running stack answers with another pool uuid: the pool is held
// (identity_mismatch), nothing is judged vanished and no quota released until the operator adopts or reverts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { eventually, startSimProcess, xapi } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

let stack: Stack;
let dataDir: string;
let db: pg.Client;
before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'xenplane-e2e-identity-'));
  stack = await startStack({ SIM_DATA_DIR: dataDir }, { RECONCILE_SWEEP_MS: '1000' });
  db = new pg.Client({ connectionString: stack.db.url });
  await db.connect();
});
after(async () => {
  await db?.end();
  await stack?.sim.stop();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function poolUuidOf(simUrl: string): Promise<string> {
  const pool = await xapi(simUrl);
  const [ref] = (await pool('pool.get_all')) as string[];
  return (await pool('pool.get_uuid', ref)) as string;
}

type LogLine = Record<string, unknown>;

/** A log line the worker printed already or prints next (waitForLog sees only lines still to come). */
function workerLogged(match: (l: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
  for (const raw of stack.worker.logs) {
    try {
      const line = JSON.parse(raw) as LogLine;
      if (match(line)) return Promise.resolve(line);
    } catch {
      /* not JSON */
    }
  }
  return stack.worker.waitForLog(match, timeoutMs);
}

/** What accounting trusts about the tenant's VMs: presence, status, and the quota ledger's releases. */
async function holdings(tenantId: string) {
  const vms = (await db.query(`SELECT id, status, presence FROM vms WHERE tenant_id = $1 ORDER BY id`, [tenantId])).rows;
  const releases = (await db.query(`SELECT count(*)::int AS n FROM quota_ledger WHERE tenant_id = $1 AND kind = 'release'`, [tenantId])).rows[0].n;
  return { vms, releases };
}

test('a reset simulator holds the pool: no VM vanishes and no quota is released until the operator adopts', { timeout: 240_000 }, async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const flavor = (await op('POST', '/v1/flavors', { name: 'id-small', vcpus: 1, memoryMiB: 512, diskGiB: 10 })).body;
  const image = (await op('POST', '/v1/images', { name: 'id-debian', template: 'Debian Bookworm 12' })).body;
  const tenant = (await op('POST', '/v1/tenants', { name: 'identity' })).body;
  const t = `?tenantId=${tenant.id}`;
  const settled = (opId: string) =>
    eventually(`operation ${opId}`, async () => {
      const r = (await op('GET', `/v1/operations/${opId}${t}`)).body;
      return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
    });
  const vmIds: string[] = [];
  for (const name of ['held-1', 'held-2']) {
    const r = await op('POST', `/v1/vms${t}`, { name, flavorId: flavor.id, imageId: image.id });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal((await settled(r.body.operation.id)).status, 'succeeded');
    vmIds.push(r.body.vm.id);
  }
  const pool = (await op('GET', '/v1/pools')).body.items[0];
  const original = await poolUuidOf(stack.sim.url);
  assert.equal(pool.xapiPoolUuid, original);
  const quotaBefore = (await op('GET', `/v1/tenants/${tenant.id}/quota`)).body.used;
  const heldBefore = await holdings(tenant.id);
  assert.equal(quotaBefore.vms, 2);

  // Another pool at the same address: the simulator started afresh on the same port.
  const port = new URL(stack.sim.url).port;
  await stack.sim.stop();
  stack.sim = await startSimProcess({ SIM_HOSTS: '2', SIM_DATA_DIR: dataDir, SIM_PORT: port, SIM_RESET: '1' });
  const fresh = await poolUuidOf(stack.sim.url);
  assert.notEqual(fresh, original);

  const held = await eventually('pool held', async () => {
    const p = (await op('GET', `/v1/pools/${pool.id}`)).body;
    return p.status === 'identity_mismatch' ? p : undefined;
  });
  assert.deepEqual([held.xapiPoolUuid, held.observedXapiPoolUuid], [original, fresh]);
  const logged = await workerLogged((l) => typeof l.msg === 'string' && l.msg.startsWith('pool identity mismatch'));
  assert.deepEqual([logged.poolId, logged.recordedPoolUuid, logged.observedPoolUuid], [pool.id, original, fresh]);
  const metrics = await (await fetch(`${stack.worker.url}/metrics`)).text();
  assert.match(metrics, new RegExp(`xenplane_pool_identity_mismatch\\{pool="${pool.id}"\\} 1`));

  // Nothing new goes to a held pool.
  const refusedVm = await op('POST', `/v1/vms${t}`, { name: 'held-3', flavorId: flavor.id, imageId: image.id });
  assert.deepEqual([refusedVm.status, refusedVm.body.code, refusedVm.headers.get('retry-after')], [503, 'unavailable', '60']);

  // An operation on the held pool is retried, never failed into a release; the watcher stopped judging the pool.
  const stop = await op('POST', `/v1/vms/${vmIds[0]}/actions${t}`, { action: 'stop' });
  assert.equal(stop.status, 202, JSON.stringify(stop.body));
  await workerLogged((l) => l.msg === 'operation attempt failed; will retry' && l.code === 'pool_identity_mismatch');
  await workerLogged((l) => l.msg === 'vm watcher stopped' && l.poolId === pool.id);

  // Revert keeps the registered identity: checked again, the pool is held again, still nothing released.
  const reverted = await op('POST', `/v1/pools/${pool.id}/identity`, { action: 'revert' });
  assert.equal(reverted.status, 200, JSON.stringify(reverted.body));
  assert.deepEqual([reverted.body.pool.status, reverted.body.pool.xapiPoolUuid, reverted.body.vmsToReconcile], ['pending', original, 0]);
  await eventually('held again', async () => ((await op('GET', `/v1/pools/${pool.id}`)).body.status === 'identity_mismatch' ? true : undefined));
  const again = await op('POST', `/v1/pools/${pool.id}/identity`, { action: 'revert' });
  assert.equal(again.status, 200);
  await eventually('held once more', async () => ((await op('GET', `/v1/pools/${pool.id}`)).body.status === 'identity_mismatch' ? true : undefined));
  assert.deepEqual((await op('GET', `/v1/tenants/${tenant.id}/quota`)).body.used, quotaBefore);
  const heldNow = await holdings(tenant.id);
  assert.deepEqual(
    heldNow.vms.map((v: { presence: string }) => v.presence),
    heldBefore.vms.map((v: { presence: string }) => v.presence),
  );
  assert.equal(heldNow.releases, 0);
  assert.ok(heldNow.vms.every((v: { status: string }) => v.status !== 'deleted' && v.status !== 'error'));

  // Adopt: the new pool is this pool, so the VMs it lacks are released as vanished, explicitly.
  const adopted = await op('POST', `/v1/pools/${pool.id}/identity`, { action: 'adopt' });
  assert.equal(adopted.status, 200, JSON.stringify(adopted.body));
  assert.equal(adopted.body.pool.xapiPoolUuid, fresh);
  await eventually('pool connected', async () => ((await op('GET', `/v1/pools/${pool.id}`)).body.status === 'connected' ? true : undefined));
  await eventually('VMs released', async () => {
    const used = (await op('GET', `/v1/tenants/${tenant.id}/quota`)).body.used;
    return used.vms === 0 ? used : undefined;
  });
  for (const id of vmIds) {
    const vm = (await op('GET', `/v1/vms/${id}${t}`)).body;
    assert.deepEqual([vm.status, vm.errorReason], ['error', 'vanished'], JSON.stringify(vm));
  }
  assert.equal(await settled(stop.body.operation.id).then((o) => o.status), 'failed');
  const cleared = await (await fetch(`${stack.worker.url}/metrics`)).text();
  assert.match(cleared, new RegExp(`xenplane_pool_identity_mismatch\\{pool="${pool.id}"\\} 0`));

  // Not held any more: another answer is refused with the state it is in.
  const refused = await op('POST', `/v1/pools/${pool.id}/identity`, { action: 'adopt' });
  assert.deepEqual([refused.status, refused.body.code, refused.body.poolStatus], [409, 'invalid_state', 'connected']);
});
