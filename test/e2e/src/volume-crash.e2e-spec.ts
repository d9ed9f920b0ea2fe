// Volumes under worker crashes: creates and attaches while the worker is SIGKILLed leave every operation terminal,
// one VDI per live volume, one VBD per attached one, nothing orphaned, and the quota recount without drift.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { simLatency, xapi } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';
import { terminal as allTerminal, workerKiller, type WorkerKiller } from './crash-harness.js';

const VMS = 3;
const VOLUMES = 24;
let stack: Stack;
let killer: WorkerKiller;
const WORKER_ENV = { WORKER_LOCK_MS: '2000', OPERATION_SWEEP_MS: '2000', WORKER_CONCURRENCY: '8' };

before(async () => {
  stack = await startStack({ SIM_HOSTS: '4' }, WORKER_ENV);
  killer = workerKiller(stack, WORKER_ENV);
});
after(async () => {
  await killer?.stop();
  await stack?.stop();
});

test(`${VOLUMES} volumes created and attached while the worker is SIGKILLed end consistent`, { timeout: 240_000 }, async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const flavor = (await op('POST', '/v1/flavors', { name: 'vc', vcpus: 1, memoryMiB: 256, diskGiB: 10 })).body.id;
  const image = (await op('POST', '/v1/images', { name: 'vc', template: 'Debian Bookworm 12' })).body.id;
  const tenant = (await op('POST', '/v1/tenants', { name: 'volume-crash' })).body.id as string;
  const t = `?tenantId=${tenant}`;
  const terminal = (ids: string[]) => allTerminal(op, tenant, ids, 150_000);
  const vmOps = await Promise.all(
    Array.from({ length: VMS }, (_, i) => op('POST', `/v1/vms${t}`, { name: `h${i}`, flavorId: flavor, imageId: image })),
  );
  await terminal(vmOps.map((r) => r.body.operation.id));
  const vms = vmOps.map((r) => r.body.vm.id as string);

  for (const [method, ms] of [
    ['VDI.create', 60],
    ['VBD.create', 40],
    ['VBD.plug', 80],
  ] as const)
    await simLatency(stack.sim.url, method, ms);
  const creates = await Promise.all(
    Array.from({ length: VOLUMES }, (_, i) => op('POST', `/v1/volumes${t}`, { name: `v${i}`, sizeGiB: 1 + (i % 3) })),
  );
  assert.ok(creates.every((r) => r.status === 202));
  await killer.killsDuring([300, 600, 250, 500]);
  await terminal(creates.map((r) => r.body.operation.id));

  const available = (await op('GET', `/v1/volumes${t}&limit=500`)).body.items.filter((v: { status: string }) => v.status === 'available');
  const attaches = [];
  for (const [i, v] of available.entries()) {
    attaches.push(await op('POST', `/v1/volumes/${v.id}/actions${t}`, { action: 'attach', vmId: vms[i % VMS] }));
  }
  assert.ok(
    attaches.every((r) => r.status === 202),
    JSON.stringify(attaches.find((r) => r.status !== 202)?.body),
  );
  await killer.killsDuring([250, 500, 350, 700]);
  await terminal(attaches.map((r) => r.body.operation.id));

  const pool = await xapi(stack.sim.url);
  const vdis = Object.entries<Record<string, any>>(await pool('VDI.get_all_records')).filter(([, v]) => v.other_config['xenplane-volume']);
  const volumes = (await op('GET', `/v1/volumes${t}&limit=500`)).body.items as {
    id: string;
    status: string;
    vmId: string | null;
    xapiUuid: string;
  }[];
  const vmRefs = new Map<string, string>();
  for (const id of vms) vmRefs.set(id, await pool('VM.get_by_uuid', (await op('GET', `/v1/vms/${id}${t}`)).body.xapiUuid));
  for (const v of volumes) {
    const mine = vdis.filter(([, d]) => d.other_config['xenplane-volume'] === v.id);
    if (v.status === 'error') continue;
    assert.ok(['available', 'in-use'].includes(v.status), `volume ${v.id} is ${v.status}`);
    assert.equal(mine.length, 1, `volume ${v.id} has ${mine.length} VDIs`);
    assert.equal(mine[0][1].uuid, v.xapiUuid);
    const vbds = await Promise.all((mine[0][1].VBDs as string[]).map((r) => pool('VBD.get_record', r)));
    if (v.status === 'in-use') {
      assert.equal(vbds.length, 1, `attached volume ${v.id} has ${vbds.length} VBDs`);
      assert.deepEqual([vbds[0].VM, vbds[0].currently_attached], [vmRefs.get(v.vmId!), true]);
    } else assert.deepEqual(vbds, [], `detached volume ${v.id} keeps a VBD`);
  }
  const live = new Set(volumes.filter((v) => v.status !== 'deleted').map((v) => v.id));
  for (const [, d] of vdis) assert.ok(live.has(d.other_config['xenplane-volume']), `VDI ${d.uuid} tagged for a volume no row holds`);
  assert.ok(volumes.filter((v) => v.status === 'in-use').length >= available.length * 0.9, 'crashes cost retries, not attaches');
  const recount = (await op('POST', `/v1/tenants/${tenant}/quota/recount`)).body;
  assert.ok(
    Object.values(recount.drift).every((d) => d === 0),
    JSON.stringify(recount.drift),
  );
});
