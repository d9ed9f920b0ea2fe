// A VM destroyed outside xenplane is released the same way whichever path notices it first: the pool's watcher,
// or an operation that fails on it. Both go through ResourceLifecycle; this compares the rows each leaves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { eventually, simLatency, xapi } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

let stack: Stack;
let db: pg.Client;
before(async () => {
  stack = await startStack({ SIM_HOSTS: '1' });
  db = new pg.Client({ connectionString: stack.db.url });
  await db.connect();
});
after(async () => {
  await db?.end();
  await stack?.stop();
});

/** What a release leaves behind, with ids and clocks taken out so two VMs compare equal. */
async function released(vmId: string) {
  const [vm] = (await db.query(`SELECT status, error_reason, presence, power_state, host_uuid FROM vms WHERE id = $1`, [vmId])).rows;
  const nics = (await db.query(`SELECT count(*)::int AS n FROM vm_nics WHERE vm_id = $1`, [vmId])).rows[0].n;
  const ledger = (await db.query(`SELECT kind, vms, vcpus, memory_mib, disk_gib FROM quota_ledger WHERE resource_id = $1 ORDER BY kind`, [vmId]))
    .rows;
  const usage = (await db.query(`SELECT kind FROM usage_events WHERE resource_id = $1 ORDER BY id`, [vmId])).rows.map((r) => r.kind);
  return { vm, nics, ledger, usage };
}

test('the watcher and a failing operation release an out-of-band destroyed VM identically', async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const flavor = (await op('POST', '/v1/flavors', { name: 'v', vcpus: 1, memoryMiB: 512, diskGiB: 10 })).body;
  const image = (await op('POST', '/v1/images', { name: 'v', template: 'Debian Bookworm 12' })).body;
  const tenant = (await op('POST', '/v1/tenants', { name: 'vanish' })).body;
  const t = `?tenantId=${tenant.id}`;
  const net = (await op('POST', `/v1/networks${t}`, { name: 'n', cidr: '10.1.0.0/24' })).body.network;
  await eventually('network active', async () => ((await op('GET', `/v1/networks/${net.id}${t}`)).body.status === 'active' ? true : undefined));
  const vms: { id: string; xapiUuid: string }[] = [];
  for (const name of ['by-watcher', 'by-operation']) {
    const created = (await op('POST', `/v1/vms${t}`, { name, flavorId: flavor.id, imageId: image.id, networkIds: [net.id] })).body;
    vms.push(
      await eventually(`${name} running`, async () => {
        const r = (await op('GET', `/v1/vms/${created.vm.id}${t}`)).body;
        return r.status === 'running' ? r : undefined;
      }),
    );
  }
  const [watched, operated] = vms;

  // The stop's first XAPI look-up is held back while both VMs are destroyed behind xenplane's back: the watcher
  // sees both go, but may judge only the settled one; the other has an operation in flight, which then fails on it.
  const pool = await xapi(stack.sim.url);
  const refs = await Promise.all(vms.map((vm) => pool('VM.get_by_uuid', vm.xapiUuid)));
  await simLatency(stack.sim.url, 'VM.get_by_uuid', 2_000);
  const stop = (await op('POST', `/v1/vms/${operated.id}/actions${t}`, { action: 'stop' })).body.operation;
  for (const ref of refs) {
    await pool('VM.hard_shutdown', ref);
    await pool('VM.destroy', ref);
  }
  const failed = await eventually(
    'stop failed',
    async () => {
      const r = (await op('GET', `/v1/operations/${stop.id}${t}`)).body;
      return r.status === 'failed' ? r : undefined;
    },
    20_000,
  );
  assert.equal(failed.error.code, 'vanished');
  await simLatency(stack.sim.url, 'VM.get_by_uuid', 0);
  await eventually('watcher released', async () => ((await released(watched.id)).vm.presence === 'released' ? true : undefined), 15_000);

  const [a, b] = [await released(watched.id), await released(operated.id)];
  assert.deepEqual(a.vm, { status: 'error', error_reason: 'vanished', presence: 'released', power_state: null, host_uuid: null });
  assert.deepEqual(b, a, 'both paths leave the same rows');
  assert.equal(a.nics, 0, 'the addresses are free again');
  assert.deepEqual(a.usage, ['created', 'running', 'stopped', 'deleted'], 'billing stops with the release');
  assert.deepEqual(
    a.ledger.map((l: { kind: string }) => l.kind),
    ['charge', 'release'],
  );
  // xapi's VM.destroy keeps the VM's disks: the config drives they left are the storage sweep's to destroy.
  const drivesOf = async () =>
    Object.values((await pool('VDI.get_all_records')) as Record<string, { other_config: Record<string, string> }>).filter((v) =>
      vms.some((vm) => v.other_config['xenplane-configdrive'] === vm.id),
    ).length;
  await eventually('orphan config drives swept', async () => ((await drivesOf()) === 0 ? true : undefined), 30_000);
  const quota = (await op('GET', `/v1/quota${t}`)).body.used;
  assert.deepEqual([quota.vms, quota.vcpus, quota.memoryMiB, quota.diskGiB], [0, 0, 0, 0]);
  assert.deepEqual(
    Object.values((await op('POST', `/v1/tenants/${tenant.id}/quota/recount`)).body.drift).filter((n) => n !== 0),
    [],
  );
});

test("xenplane's own deletes are not counted or reported as drift", async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const flavor = (await op('POST', '/v1/flavors', { name: 'd', vcpus: 1, memoryMiB: 256, diskGiB: 10 })).body;
  const image = (await op('POST', '/v1/images', { name: 'd', template: 'Debian Bookworm 12' })).body;
  const tenant = (await op('POST', '/v1/tenants', { name: 'own-deletes' })).body;
  const t = `?tenantId=${tenant.id}`;
  const drift = async () => {
    const text = (await client(stack.worker.url, null)('GET', '/metrics')).body as string;
    return [...text.matchAll(/^xenplane_reconcile_drift_total\{[^}]*kind="(vanished|orphan)"\} (\d+)/gm)].reduce((n, m) => n + Number(m[2]), 0);
  };
  const before = await drift();
  const logsBefore = stack.worker.logs.length;
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await op('POST', `/v1/vms${t}`, { name: `d-${i}`, flavorId: flavor.id, imageId: image.id })).body.vm.id);
  for (const id of ids)
    await eventually('running', async () => ((await op('GET', `/v1/vms/${id}${t}`)).body.status === 'running' ? true : undefined));
  // A watcher that lags behind (a busy pool): the shutdown and destroy events arrive after the rows say deleted.
  await simLatency(stack.sim.url, 'event.from', 1_500);
  for (const id of ids) await op('DELETE', `/v1/vms/${id}${t}`);
  for (const id of ids)
    await eventually('deleted', async () => ((await op('GET', `/v1/vms/${id}${t}`)).body.status === 'deleted' ? true : undefined));
  // The watcher sees the destroy events after the rows say deleted; give it a sweep's worth of them.
  await new Promise((r) => setTimeout(r, 4_000));
  await simLatency(stack.sim.url, 'event.from', 0);
  assert.equal(await drift(), before, 'no drift counted for our own deletes');
  const warned = stack.worker.logs.slice(logsBefore).filter((l) => /"level":"(warn|error)"/.test(l));
  assert.deepEqual(warned, [], 'and nothing warned about them');
});
