// Host maintenance over the real processes (issue 18): a host with running VMs is drained live while the worker is
// SIGKILLed twice mid-way; every VM ends running on another host, moved exactly once (one vm.migrate operation each,
// to the host it was claimed for), quota consistent; with maintenance off the host takes VMs again.
// 20 VMs over 3 hosts keep CI time reasonable (the 50 on one host is the same path, only longer).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, poolCensus, simLatency, startProcess, xapi, type ManagedProcess } from '@xenplane/testing';
import { assertConsistent, client, EVERY_VM_STATUS, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

const VMS = 20;
const WORKER_ENV = { EVACUATION_INTERVAL_MS: '300', EVACUATION_BATCH_SIZE: '3', WORKER_LOCK_MS: '2000', OPERATION_SWEEP_MS: '2000' };
let stack: Stack;
let worker: ManagedProcess;

before(async () => {
  stack = await startStack({ SIM_HOSTS: '3' }, WORKER_ENV);
  worker = stack.worker;
});
after(async () => {
  await worker?.stop('SIGKILL');
  await stack?.stop();
});

async function restartWorker(): Promise<void> {
  worker = startProcess('apps/worker/dist/main.js', { ...stack.env, ...WORKER_ENV, WORKER_PORT: '0', WORKER_HOST: '127.0.0.1' }, 'worker');
  await worker.waitForLog((l) => l.msg === 'worker listening');
}

type Vm = { id: string; status: string; hostId: string | null; hostXapiUuid: string | null };
type Op = { id: string; kind: string; status: string; resourceId: string; placement?: { hostId: string } };

test(`a host drained while the worker is SIGKILLed twice: its VMs all move live, each once`, { timeout: 240_000 }, async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const flavor = await op('POST', '/v1/flavors', { name: 'ev', vcpus: 1, memoryMiB: 256, diskGiB: 10 });
  const image = await op('POST', '/v1/images', { name: 'ev', template: 'Debian Bookworm 12' });
  const tenant = await op('POST', '/v1/tenants', { name: 'evacuation' });
  const t = `?tenantId=${tenant.body.id}`;
  const looseBefore = (await poolCensus(stack.sim.url)).looseVdis.length;
  await eventually('the hosts are synced', async () => (await op('GET', '/v1/hosts')).body.items.length === 3);
  for (let i = 0; i < VMS; i++) {
    const r = await op('POST', `/v1/vms${t}`, { name: `ev-${i}`, flavorId: flavor.body.id, imageId: image.body.id });
    assert.equal(r.status, 202, JSON.stringify(r.body));
  }
  const listVms = async () => (await op('GET', `/v1/vms${t}&limit=500&${EVERY_VM_STATUS}`)).body.items as Vm[];
  // Every create succeeds: a job handed out again while it runs (its 2 s lock lapsed) waits for its first delivery.
  const settled = await eventually(
    'every VM settled, the running ones on a known host',
    async () => {
      const vms = await listVms();
      return vms.length === VMS && vms.every((v) => (v.status === 'running' && v.hostId) || v.status === 'error') && vms;
    },
    120_000,
  );
  assert.deepEqual(
    settled.filter((v) => v.status !== 'running'),
    [],
    'every create succeeded',
  );
  const counts = new Map<string, number>();
  for (const v of settled) counts.set(v.hostId!, (counts.get(v.hostId!) ?? 0) + 1);
  const [hostId, onHost] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
  const leaving = new Set(settled.filter((v) => v.hostId === hostId).map((v) => v.id));
  assert.ok(onHost >= 3, `the busiest host has ${onHost} VMs`);

  // Moves take a while, so the kills land mid-evacuation.
  await simLatency(stack.sim.url, 'VM.pool_migrate', 400);
  const started = await op('POST', `/v1/hosts/${hostId}/maintenance`, { enabled: true });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  assert.equal(started.body.maintenance, 'draining');
  // A VM asked for meanwhile goes elsewhere: a draining host is out of placement.
  const during = await op('POST', `/v1/vms${t}`, { name: 'ev-new', flavorId: flavor.body.id, imageId: image.body.id });
  assert.equal(during.status, 202);
  for (const pause of [900, 1400]) {
    await new Promise((r) => setTimeout(r, pause));
    await worker.stop('SIGKILL');
    await restartWorker();
  }
  const host = await eventually(
    'the host is empty and in maintenance',
    async () => {
      const h = ((await op('GET', '/v1/hosts')).body.items as { id: string; maintenance: string; maintenanceBlockers: unknown[] }[]).find(
        (x) => x.id === hostId,
      );
      return h?.maintenance === 'maintenance' && h;
    },
    150_000,
  );
  assert.deepEqual(host.maintenanceBlockers, []);

  const pool = await xapi(stack.sim.url);
  const hostUuid = (await op('GET', '/v1/hosts')).body.items.find((h: { id: string }) => h.id === hostId).xapiUuid as string;
  const hostRef = await pool('host.get_by_uuid', hostUuid);
  assert.equal(await pool('host.get_enabled', hostRef), false, 'disabled on XAPI while in maintenance');
  const census = await poolCensus(stack.sim.url);
  // A job killed after its VM moved but before it recorded so is resumed and ends: wait for each to end.
  const migrations = await eventually('every move ended', async () => {
    const all = ((await op('GET', `/v1/operations${t}&limit=500`)).body.items as Op[]).filter((o) => o.kind === 'vm.migrate');
    return all.every((o) => o.status === 'succeeded' || o.status === 'failed') && all;
  });
  const finalVms = await eventually('the watcher has seen every move', async () => {
    const vms = await listVms();
    return vms.every((v) => v.status === 'running' && v.hostId && v.hostId !== hostId) && vms;
  });
  for (const vm of finalVms) {
    const copies = census.byId.get(vm.id) ?? [];
    assert.equal(copies.length, 1, `VM ${vm.id} exists ${copies.length} times`);
    assert.equal(copies[0].power_state, 'Running', `VM ${vm.id} was never stopped`);
    assert.notEqual(copies[0].resident_on, hostRef);
    const mine = migrations.filter((m) => m.resourceId === vm.id);
    if (!leaving.has(vm.id)) {
      assert.equal(mine.length, 0, `VM ${vm.id} was not on the host and did not move`);
      continue;
    }
    assert.equal(mine.length, 1, `VM ${vm.id} moved by exactly one operation`);
    assert.equal(mine[0].status, 'succeeded');
    assert.equal(mine[0].placement?.hostId, vm.hostId, 'it ended on the host it was claimed for: never moved twice');
  }
  assert.equal(migrations.length, onHost);
  await assertConsistent(stack, [tenant.body.id], looseBefore);

  const back = await op('POST', `/v1/hosts/${hostId}/maintenance`, { enabled: false });
  assert.equal(back.body.maintenance, 'none');
  await eventually('the host is enabled on XAPI again', async () => (await pool('host.get_enabled', hostRef)) === true);
});
