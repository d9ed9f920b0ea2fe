import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { eventually, poolCensus, xapi } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

const GiB = 1024 ** 3;
let stack: Stack;
// Pool sync runs once at start here, so a template made afterwards stays unknown to the API.
before(async () => {
  stack = await startStack({}, { POOL_SYNC_INTERVAL_MS: '600000' });
});
after(async () => {
  await stack?.stop();
});

async function tenant(name: string) {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const t = (await op('POST', '/v1/tenants', { name })).body;
  return { id: t.id as string, q: `?tenantId=${t.id}`, op };
}

test("a disk below the template's is refused before it is accepted, per VM and by flavor; at or above it is charged what XAPI made", async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  await eventually('default pool synced', async () => ((await op('GET', '/v1/pools')).body.items[0]?.status === 'connected' ? true : undefined));
  // The simulator's Debian template provisions a 10 GiB boot disk (other_config:disks).
  const image = (await op('POST', '/v1/images', { name: 'debian', template: 'Debian Bookworm 12' })).body.id;
  const small = (await op('POST', '/v1/flavors', { name: 'small-disk', vcpus: 1, memoryMiB: 512, diskGiB: 5 })).body.id;
  const big = (await op('POST', '/v1/flavors', { name: 'big-disk', vcpus: 1, memoryMiB: 512, diskGiB: 20 })).body.id;
  const { id, q } = await tenant('disks');

  const perVm = await op('POST', `/v1/vms${q}`, { name: 'a', flavorId: big, imageId: image, diskGiB: 4 });
  assert.equal(perVm.status, 422, JSON.stringify(perVm.body));
  assert.equal(perVm.body.code, 'disk_below_template');
  assert.equal(perVm.body.minDiskGiB, 10);
  assert.deepEqual(
    perVm.body.errors.map((e: { path: string }) => e.path),
    ['diskGiB'],
  );
  const byFlavor = await op('POST', `/v1/vms${q}`, { name: 'b', flavorId: small, imageId: image });
  assert.equal(byFlavor.status, 422);
  assert.equal(byFlavor.body.code, 'disk_below_template');
  assert.equal(byFlavor.body.minDiskGiB, 10);
  assert.deepEqual(
    byFlavor.body.errors.map((e: { path: string }) => e.path),
    ['flavorId'],
  );
  assert.equal((await op('GET', `/v1/quota${q}`)).body.used.diskGiB, 0, 'nothing was charged');

  // A flavor's small default is overridden by an explicit size that fits; exactly the template's size fits too.
  const created = await Promise.all([
    op('POST', `/v1/vms${q}`, { name: 'c', flavorId: small, imageId: image, diskGiB: 10 }),
    op('POST', `/v1/vms${q}`, { name: 'd', flavorId: big, imageId: image }),
  ]);
  assert.deepEqual(
    created.map((r) => r.status),
    [202, 202],
  );
  const pool = await xapi(stack.sim.url);
  for (const [i, r] of created.entries()) {
    const vm = await eventually('running', async () => {
      const v = (await op('GET', `/v1/vms/${r.body.vm.id}${q}`)).body;
      return v.status === 'running' ? v : undefined;
    });
    const [vbd] = await pool('VM.get_VBDs', await pool('VM.get_by_uuid', vm.xapiUuid));
    assert.equal(Number(await pool('VDI.get_virtual_size', await pool('VBD.get_VDI', vbd))), [10, 20][i] * GiB, 'charged what the disk really is');
  }
  assert.equal((await op('GET', `/v1/quota${q}`)).body.used.diskGiB, 30);
  assert.equal((await op('POST', `/v1/tenants/${id}/quota/recount`)).body.drift.diskGiB, 0);
});

test('a template grown since the last pool sync (larger than asked) fails the create cleanly in the worker: nothing left, quota back', async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  // A template the pool has (and the API saw, so an image may name it) grows to 30 GiB after that sync.
  const pool = await xapi(stack.sim.url);
  const [debian] = await pool('VM.get_by_name_label', 'Debian Bookworm 12');
  const clone = await pool('VM.clone', debian, 'Big Disk 30');
  const poolId = (await op('GET', '/v1/pools')).body.items[0].id as string;
  // One pool sync now (periodic ones are off here), as registering a pool sets off: the API learns of the template.
  const db = new pg.Client({ connectionString: stack.db.url });
  await db.connect();
  await db.query(`SELECT pg_notify('pools', $1)`, [poolId]);
  await db.end();
  await eventually('the new template synced', async () =>
    (await op('GET', `/v1/pools/${poolId}/templates?name=${encodeURIComponent('Big Disk 30')}`)).body.items.length ? true : undefined,
  );
  const image = (await op('POST', '/v1/images', { name: 'big', template: 'Big Disk 30' })).body.id;
  const flavor = (await op('POST', '/v1/flavors', { name: 'twenty', vcpus: 1, memoryMiB: 512, diskGiB: 20 })).body.id;
  const { q } = await tenant('late-template');
  const looseBefore = (await poolCensus(stack.sim.url)).looseVdis.length;
  await pool('VM.remove_from_other_config', clone, 'disks');
  await pool(
    'VM.add_to_other_config',
    clone,
    'disks',
    `<provision><disk device="0" size="${30 * GiB}" sr="" bootable="true" type="system"/></provision>`,
  );

  const r = await op('POST', `/v1/vms${q}`, { name: 'late', flavorId: flavor, imageId: image });
  assert.equal(r.status, 202, 'not known yet, so accepted');
  const done = await eventually('create ends', async () => {
    const o = (await op('GET', `/v1/operations/${r.body.operation.id}${q}`)).body;
    return o.status === 'failed' || o.status === 'succeeded' ? o : undefined;
  });
  assert.equal(done.status, 'failed');
  assert.equal(done.error.code, 'disk_below_template');
  assert.match(done.error.detail, /30 GiB/);
  assert.equal((await op('GET', `/v1/vms/${r.body.vm.id}${q}`)).body.status, 'error');
  assert.equal((await op('GET', `/v1/quota${q}`)).body.used.diskGiB, 0, 'its quota is back');
  const census = await poolCensus(stack.sim.url);
  assert.equal(census.byId.get(r.body.vm.id)?.length ?? 0, 0, 'its clone is destroyed');
  assert.equal(census.looseVdis.length, looseBefore, 'and its disk');
});
