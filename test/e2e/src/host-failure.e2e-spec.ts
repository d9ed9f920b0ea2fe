// Restart after host failure over the real processes (issue 18): a slave host dies (/sim/hosts/k/down) with VMs
// on it, half of them protected (restart: true); two workers run and one is SIGKILLed during the recovery. Protected
// VMs come back on other hosts exactly once (one vm.restart-after-failure each, run to success by one worker, one
// VM.start_on asked of the pool, one running copy), the others stop with host_failed; when the host boots again
// nothing restarts twice; quota, disks and the FOCUS export stay consistent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFocusCsv } from '@xenplane/accounting';
import { eventually, poolCensus, simControl, simLatency, simState, startProcess, xapi, type ManagedProcess } from '@xenplane/testing';
import { assertConsistent, client, EVERY_VM_STATUS, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

const VMS = 10;
const WORKER_ENV = {
  HOST_FAILURE_INTERVAL_MS: '300',
  WORKER_LOCK_MS: '2000',
  OPERATION_SWEEP_MS: '2000',
  USAGE_GRACE_MS: '0',
  USAGE_AGGREGATE_INTERVAL_MS: '300',
};
let stack: Stack;
let worker: ManagedProcess;
let worker2: ManagedProcess | undefined;
const startWorker = (name: string) =>
  startProcess('apps/worker/dist/main.js', { ...stack.env, ...WORKER_ENV, WORKER_PORT: '0', WORKER_HOST: '127.0.0.1' }, name);

before(async () => {
  stack = await startStack({ SIM_HOSTS: '3' }, WORKER_ENV);
  worker = stack.worker;
  worker2 = startWorker('worker-2');
  await worker2.waitForLog((l) => l.msg === 'worker listening');
});
after(async () => {
  await worker?.stop('SIGKILL');
  await worker2?.stop();
  await stack?.stop();
});

type Vm = { id: string; xapiUuid: string; status: string; hostId: string | null; restart: boolean; errorReason: string | null };
type Op = { id: string; kind: string; status: string; resourceId: string };
type Host = { id: string; address: string; failedAt: string | null };

test('a dead host: protected VMs come back elsewhere once, the others stop with host_failed', { timeout: 240_000 }, async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const ha = await op('POST', '/v1/flavors', { name: 'hf-ha', vcpus: 1, memoryMiB: 256, diskGiB: 10, restartOnHostFailure: true });
  const plain = await op('POST', '/v1/flavors', { name: 'hf-plain', vcpus: 1, memoryMiB: 256, diskGiB: 10 });
  const image = await op('POST', '/v1/images', { name: 'hf', template: 'Debian Bookworm 12' });
  const tenant = await op('POST', '/v1/tenants', { name: 'host-failure' });
  const t = `?tenantId=${tenant.body.id}`;
  const looseBefore = (await poolCensus(stack.sim.url)).looseVdis.length;
  const hosts = await eventually('the hosts are synced', async () => {
    const items = (await op('GET', '/v1/hosts')).body.items as Host[];
    return items.length === 3 && items;
  });
  const pool = (await op('GET', '/v1/pools')).body.items[0];
  assert.equal((await op('PATCH', `/v1/pools/${pool.id}`, { hostFailureGraceSeconds: 1 })).status, 200);
  for (let i = 0; i < VMS; i++) {
    const flavorId = i % 2 ? plain.body.id : ha.body.id;
    assert.equal((await op('POST', `/v1/vms${t}`, { name: `hf-${i}`, flavorId, imageId: image.body.id })).status, 202);
  }
  const listVms = async () => (await op('GET', `/v1/vms${t}&limit=500&${EVERY_VM_STATUS}`)).body.items as Vm[];
  const settled = await eventually(
    'every VM running on a known host',
    async () => {
      const vms = await listVms();
      return vms.length === VMS && vms.every((v) => v.status === 'running' && v.hostId) && vms;
    },
    120_000,
  );
  // The busiest host that is not the master (host 1: its death takes the pool's API with it).
  const slaves = hosts.filter((h) => h.address !== '127.0.0.1');
  const on = (h: Host) => settled.filter((v) => v.hostId === h.id);
  const dead = slaves.sort((a, b) => on(b).length - on(a).length)[0];
  const victims = on(dead);
  assert.ok(victims.length >= 2, `host ${dead.address} has ${victims.length} VMs`);
  const protectedIds = new Set(victims.filter((v) => v.restart).map((v) => v.id));
  const plainIds = new Set(victims.filter((v) => !v.restart).map((v) => v.id));

  const sim = await xapi(stack.sim.url);
  const refOf = new Map<string, string>();
  for (const v of victims) refOf.set(v.id, await sim('VM.get_by_uuid', v.xapiUuid));
  const callsBefore = (await simState(stack.sim.url)).callsPerVm;
  // Starts take a while, so the kill lands mid-recovery. The driver starts a VM with the synchronous VM.start_on
  // (callLong), and the simulator keys latency by the method's name without its Async. prefix.
  await simLatency(stack.sim.url, 'VM.start_on', 800);
  await simControl(stack.sim.url, `/sim/hosts/${dead.address.split('.')[3]}/down`);
  await eventually(
    'the host is declared dead',
    async () => ((await op('GET', '/v1/hosts')).body.items as Host[]).find((h) => h.id === dead.id)?.failedAt,
  );
  await new Promise((r) => setTimeout(r, 600));
  const killed = worker;
  await killed.stop('SIGKILL');
  worker = startWorker('worker');
  await worker.waitForLog((l) => l.msg === 'worker listening');

  const recoveries = await eventually(
    'every recovery ended',
    async () => {
      const all = ((await op('GET', `/v1/operations${t}&limit=500`)).body.items as Op[]).filter((o) => o.kind.endsWith('-after-failure'));
      return all.length === victims.length && all.every((o) => o.status === 'succeeded' || o.status === 'failed') && all;
    },
    120_000,
  );
  for (const o of recoveries) {
    assert.equal(o.status, 'succeeded', JSON.stringify(o));
    assert.equal(o.kind, protectedIds.has(o.resourceId) ? 'vm.restart-after-failure' : 'vm.stop-after-failure');
  }
  const after1 = await eventually('the watcher has seen every restart', async () => {
    const vms = await listVms();
    return vms.every((v) => (protectedIds.has(v.id) ? v.status === 'running' && v.hostId && v.hostId !== dead.id : true)) && vms;
  });
  for (const v of after1) {
    if (plainIds.has(v.id)) assert.deepEqual([v.status, v.errorReason], ['stopped', 'host_failed'], v.id);
    else assert.equal(v.status, 'running', v.id);
  }

  // The host boots again: what it still showed is halted, nothing of ours restarts twice.
  await simControl(stack.sim.url, `/sim/hosts/${dead.address.split('.')[3]}/up`);
  await eventually(
    'the host forgets its failure',
    async () => ((await op('GET', '/v1/hosts')).body.items as Host[]).find((h) => h.id === dead.id)?.failedAt === null,
  );
  await new Promise((r) => setTimeout(r, 1000)); // a few detector passes
  const census = await poolCensus(stack.sim.url);
  for (const id of protectedIds) {
    const copies = census.byId.get(id) ?? [];
    assert.equal(copies.length, 1);
    assert.equal(copies[0].power_state, 'Running', `VM ${id} runs once`);
  }
  const ops = ((await op('GET', `/v1/operations${t}&limit=500`)).body.items as Op[]).filter((o) => o.kind.endsWith('-after-failure'));
  assert.equal(ops.length, victims.length, 'one recovery per VM, none after the host came back');
  // Across the workers (the killed one too): each protected VM started again once on the pool, each recovery by one worker.
  const callsAfter = (await simState(stack.sim.url)).callsPerVm;
  const starts = (id: string) => (callsAfter['VM.start_on']?.[refOf.get(id)!] ?? 0) - (callsBefore['VM.start_on']?.[refOf.get(id)!] ?? 0);
  for (const id of protectedIds) assert.equal(starts(id), 1, `VM ${id}: one VM.start_on`);
  for (const id of plainIds) assert.equal(starts(id), 0, `VM ${id}: never started`);
  const endedBy = [killed, worker, worker2!].map((w) =>
    w.logs.flatMap((line) => {
      if (!line.startsWith('{')) return [];
      const l = JSON.parse(line) as { msg?: string; job?: string; resourceId?: string };
      return l.msg === 'operation succeeded' && l.job?.endsWith('-after-failure') ? [l.resourceId!] : [];
    }),
  );
  console.log(JSON.stringify({ recoveriesPerWorker: endedBy.map((e) => e.length) }));
  // A SIGKILL may take the killed worker's last log lines with it: its successes are a lower bound, never doubled.
  const all = endedBy.flat();
  assert.deepEqual(
    all.filter((id, i) => all.indexOf(id) !== i),
    [],
    'no recovery succeeded in two workers',
  );
  assert.ok(endedBy[2].length > 0 || endedBy[1].length > 0, 'the surviving workers finished the recovery');
  await assertConsistent(stack, [tenant.body.id], looseBefore);
  const period = new Date().toISOString().slice(0, 7);
  const csv = await eventually('the month exported', async () => {
    const res = await fetch(`${stack.api.url}/v1/billing/export?period=${period}&format=focus&tenantId=${tenant.body.id}`, {
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
    });
    return res.status === 200 && (await res.text());
  });
  assert.deepEqual(checkFocusCsv(csv), []);
});
