import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, type ManagedProcess, poolCensus, simLatency, startProcess } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack, EVERY_VM_STATUS } from './stack.js';

const VMS = 100;
const KILLS = 10;
let stack: Stack;
let worker: ManagedProcess;

before(async () => {
  stack = await startStack({ SIM_HOSTS: '8' }, { WORKER_LOCK_MS: '2000', OPERATION_SWEEP_MS: '2000', WORKER_CONCURRENCY: '8' });
  worker = stack.worker;
});
after(async () => {
  await worker?.stop('SIGKILL');
  await stack?.stop();
});

async function restartWorker(): Promise<void> {
  worker = startProcess(
    'apps/worker/dist/main.js',
    { ...stack.env, WORKER_PORT: '0', WORKER_HOST: '127.0.0.1', WORKER_LOCK_MS: '2000', OPERATION_SWEEP_MS: '2000', WORKER_CONCURRENCY: '8' },
    'worker',
  );
  await worker.waitForLog((l) => l.msg === 'worker listening');
}

test(`${VMS} VMs provisioned while the worker is SIGKILLed ${KILLS} times end consistent`, { timeout: 240_000 }, async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  for (const [method, ms] of [
    ['VM.clone', 40],
    ['VM.provision', 60],
    ['VM.start', 80],
  ] as const)
    await simLatency(stack.sim.url, method, ms);
  const before = await poolCensus(stack.sim.url);
  const flavor = await op('POST', '/v1/flavors', { name: 'c', vcpus: 1, memoryMiB: 256, diskGiB: 10 });
  const image = await op('POST', '/v1/images', { name: 'c', template: 'Debian Bookworm 12' });
  const tenant = await op('POST', '/v1/tenants', { name: 'crash' });
  const t = `?tenantId=${tenant.body.id}`;
  const accepted = await Promise.all(
    Array.from({ length: VMS }, (_, i) => op('POST', `/v1/vms${t}`, { name: `c-${i}`, flavorId: flavor.body.id, imageId: image.body.id })),
  );
  assert.ok(accepted.every((a) => a.status === 202));

  // Random kills while the work is in flight; the pseudo-random pauses are fixed so runs compare.
  const pauses = [350, 700, 250, 900, 400, 600, 300, 800, 450, 500];
  for (let k = 0; k < KILLS; k++) {
    await new Promise((r) => setTimeout(r, pauses[k % pauses.length]));
    await worker.stop('SIGKILL');
    await restartWorker();
  }

  const ops = await eventually(
    'every operation terminal',
    async () => {
      const all = (await op('GET', `/v1/operations${t}&limit=500`)).body.items as { status: string; id: string }[];
      return all.length === VMS && all.every((o) => o.status === 'succeeded' || o.status === 'failed') ? all : undefined;
    },
    150_000,
  );
  const vms = (await op('GET', `/v1/vms${t}&limit=500&${EVERY_VM_STATUS}`)).body.items as {
    id: string;
    status: string;
    xapiUuid: string;
    errorReason: string | null;
  }[];
  const opsByVm = new Map((ops as unknown as { resourceId: string; error?: { code: string; detail: string } }[]).map((o) => [o.resourceId, o]));
  const census = await poolCensus(stack.sim.url);

  for (const vm of vms.filter((v) => v.status === 'running')) {
    const copies = census.byId.get(vm.id) ?? [];
    assert.equal(copies.length, 1, `VM ${vm.id} exists ${copies.length} times in XAPI`);
    assert.equal(copies[0].uuid, vm.xapiUuid);
    assert.equal(copies[0].power_state, 'Running');
  }
  const rowIds = new Set(vms.filter((v) => v.status !== 'deleted').map((v) => v.id));
  for (const v of census.tagged) assert.ok(rowIds.has(v.other_config['xenplane-vm-id']), `XAPI VM ${v.uuid} carries our tag without a row`);
  assert.equal(census.markers.length, 0, 'no half-made clone is left behind');
  assert.equal(census.looseVdis.length, before.looseVdis.length, 'no disk leaked');
  const failed = vms.filter((v) => v.status !== 'running');
  for (const vm of failed)
    assert.equal(
      census.byId.get(vm.id)?.length ?? 0,
      0,
      `failed VM ${vm.id} (${vm.status}, ${JSON.stringify(opsByVm.get(vm.id)?.error)}) left in XAPI`,
    );
  assert.ok(ops.filter((o) => o.status === 'succeeded').length >= VMS * 0.9, 'crashes cost retries, not VMs');

  const recount = await op('POST', `/v1/tenants/${tenant.body.id}/quota/recount`);
  assert.equal(recount.status, 200, JSON.stringify(recount.body));
  const quota = (await op('GET', `/v1/quota${t}`)).body;
  assert.equal(quota.used.vms, vms.filter((v) => v.status === 'running').length + vms.filter((v) => v.status === 'error').length);
  assert.deepEqual(
    Object.values(recount.body.drift ?? {}).filter((n) => n !== 0),
    [],
    JSON.stringify(recount.body),
  );
});
