// Issue 17 end to end with the real processes: a volume made, hot-plugged into a running VM, unplugged, plugged
// again, and surviving the VM's delete, detached; then deleted with its quota, metered as volume-gib-hour.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { eventually, simControl, xapi } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';
import { settler } from './settle.js';

const GiB = 1024 ** 3;
let stack: Stack;
let db: pg.Pool;
before(async () => {
  stack = await startStack();
  db = new pg.Pool({ connectionString: stack.db.url, max: 2 });
});
after(async () => {
  await db?.end();
  await stack?.stop();
});

test('a volume attaches to a running VM, detaches, and outlives the VM it was attached to', { timeout: 240_000 }, async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const flavor = (await op('POST', '/v1/flavors', { name: 'v-small', vcpus: 1, memoryMiB: 512, diskGiB: 10 })).body.id;
  const image = (await op('POST', '/v1/images', { name: 'v-deb', template: 'Debian Bookworm 12' })).body.id;
  const t = await op('POST', '/v1/tenants', { name: 'volumes-co' });
  const me = client(stack.api.url, (await op('POST', `/v1/tenants/${t.body.id}/api-keys`, { name: 'k', role: 'admin' })).body.token);
  const settle = settler(me);
  const pool = await xapi(stack.sim.url);
  const vbdsOf = async (vdiUuid: string) => {
    const refs: string[] = await pool('VDI.get_VBDs', await pool('VDI.get_by_uuid', vdiUuid));
    return Promise.all(refs.map((r) => pool('VBD.get_record', r)));
  };

  const created = await me('POST', '/v1/vms', { name: 'host', flavorId: flavor, imageId: image });
  await settle(created);
  const vm = (await me('GET', `/v1/vms/${created.body.vm.id}`)).body;
  assert.equal(vm.status, 'running');
  const vmRef = await pool('VM.get_by_uuid', vm.xapiUuid);

  const made = await me('POST', '/v1/volumes', { name: 'data', sizeGiB: 4 });
  await settle(made);
  const volId = made.body.volume.id as string;
  const vol = (await me('GET', `/v1/volumes/${volId}`)).body;
  assert.equal(vol.status, 'available');
  assert.equal(Number(await pool('VDI.get_virtual_size', await pool('VDI.get_by_uuid', vol.xapiUuid))), 4 * GiB);

  await settle(await me('POST', `/v1/volumes/${volId}/actions`, { action: 'attach', vmId: vm.id }));
  const [plugged] = await vbdsOf(vol.xapiUuid);
  assert.deepEqual([plugged.VM, plugged.currently_attached], [vmRef, true], 'hot-plugged into the running VM');
  assert.equal((await me('GET', `/v1/volumes/${volId}`)).body.status, 'in-use');
  const grow = await me('PATCH', `/v1/volumes/${volId}`, { sizeGiB: 8 });
  assert.deepEqual([grow.status, grow.body.code], [409, 'detach_required']);

  await settle(await me('POST', `/v1/volumes/${volId}/actions`, { action: 'detach' }));
  assert.deepEqual(await vbdsOf(vol.xapiUuid), []);
  await settle(await me('PATCH', `/v1/volumes/${volId}`, { sizeGiB: 8 }));
  assert.equal(Number(await pool('VDI.get_virtual_size', await pool('VDI.get_by_uuid', vol.xapiUuid))), 8 * GiB);

  await settle(await me('POST', `/v1/volumes/${volId}/actions`, { action: 'attach', vmId: vm.id }));
  const busy = await me('DELETE', `/v1/volumes/${volId}`);
  assert.deepEqual([busy.status, busy.body.code], [409, 'in_use']);
  await settle(await me('DELETE', `/v1/vms/${vm.id}`));
  assert.equal((await me('GET', `/v1/vms/${vm.id}`)).body.status, 'deleted');
  const survived = (await me('GET', `/v1/volumes/${volId}`)).body;
  assert.deepEqual([survived.status, survived.vmId, survived.sizeGiB], ['available', null, 8]);
  assert.equal(await pool('VDI.get_uuid', await pool('VDI.get_by_uuid', vol.xapiUuid)), vol.xapiUuid, 'the VDI survives');
  assert.deepEqual(await vbdsOf(vol.xapiUuid), []);

  const used = (await me('GET', '/v1/quota')).body.used;
  assert.deepEqual([used.volumes, used.volumeGiB], [1, 8]);
  await settle(await me('DELETE', `/v1/volumes/${volId}`));
  const all = Object.values<{ uuid: string }>(await pool('VDI.get_all_records')).map((v) => v.uuid);
  assert.ok(!all.includes(vol.xapiUuid), 'the VDI is gone');
  const after = (await op('POST', `/v1/tenants/${t.body.id}/quota/recount`)).body;
  assert.deepEqual([after.used.volumes, after.used.volumeGiB], [0, 0]);
  assert.ok(
    Object.values(after.drift).every((d) => d === 0),
    JSON.stringify(after.drift),
  );

  // Metered from the row's presence: created at 4 GiB, grown to 8 when the grow succeeded, deleted.
  const { rows } = await db.query(
    `SELECT kind, (attrs->>'diskGiB')::int AS gib FROM usage_events WHERE resource_id = $1 AND resource_type = 'volume' ORDER BY occurred_at, id`,
    [volId],
  );
  assert.deepEqual(
    rows.map((r) => `${r.kind}:${r.gib}`),
    ['created:4', 'resized:8', 'deleted:8'],
  );
  // ...and in the tenant's usage to the GiB-second: 4 GiB until the grow, 8 until the delete (whole seconds).
  const { rows: at } = await db.query(
    `SELECT floor(extract(epoch FROM occurred_at))::bigint AS s FROM usage_events WHERE resource_id = $1 ORDER BY occurred_at, id`,
    [volId],
  );
  const [c, r, d] = at.map((x) => Number(x.s));
  assert.ok(d > c, 'the volume existed for whole seconds');
  const day = new Date(c * 1000).toISOString().slice(0, 10);
  const window = `?from=${day}T00:00:00Z&to=${new Date(Date.parse(day) + 2 * 86_400_000).toISOString().slice(0, 19)}Z`;
  const line = await eventually('volume usage', async () => {
    const items = (await me('GET', `/v1/usage${window}`)).body.items as { sku: string; seconds: number; consumedQuantity: string }[];
    return items?.find((i) => i.sku === 'volume-gib-hour');
  });
  assert.deepEqual([line.seconds, Number(line.consumedQuantity)], [d - c, 4 * (r - c) + 8 * (d - r)]);
});

test(
  'an attach to a running VM whose guest agent says it cannot hot-plug disks is 409 requires_stop at once; stopped, it attaches',
  { timeout: 240_000 },
  async () => {
    const op = client(stack.api.url, OPERATOR_TOKEN);
    const flavor = (await op('POST', '/v1/flavors', { name: 'hp-small', vcpus: 1, memoryMiB: 512, diskGiB: 10 })).body.id;
    const image = (await op('POST', '/v1/images', { name: 'hp-deb', template: 'Debian Bookworm 12' })).body.id;
    const t = await op('POST', '/v1/tenants', { name: 'hotplug-co' });
    const me = client(stack.api.url, (await op('POST', `/v1/tenants/${t.body.id}/api-keys`, { name: 'k', role: 'admin' })).body.token);
    const settle = settler(me);
    const vm = (await settle(await me('POST', '/v1/vms', { name: 'no-hotplug', flavorId: flavor, imageId: image }))).vm;
    const vol = (await settle(await me('POST', '/v1/volumes', { name: 'data', sizeGiB: 1 }))).volume;
    const { xapiUuid } = (await me('GET', `/v1/vms/${vm.id}`)).body;
    // The guest agent reports it (VM_guest_metrics.can_use_hotplug_vbd); the watcher records it on the VM.
    await simControl(stack.sim, `/sim/vms/${xapiUuid}/guest-tools`, { hotplugVbd: 'no' });
    await eventually('the watcher records it', async () => {
      const { rows } = await db.query(`SELECT hotplug_vbd FROM vms WHERE id = $1`, [vm.id]);
      return rows[0].hotplug_vbd === false ? true : undefined;
    });
    const refused = await me('POST', `/v1/volumes/${vol.id}/actions`, { action: 'attach', vmId: vm.id });
    assert.deepEqual([refused.status, refused.body.code], [409, 'requires_stop']);
    assert.deepEqual(
      [
        (await me('GET', `/v1/volumes/${vol.id}`)).body.status,
        (await me('GET', `/v1/operations?limit=500`)).body.items.filter((o: { kind: string }) => o.kind === 'volume.attach').length,
      ],
      ['available', 0],
      'no operation was recorded',
    );
    await settle(await me('POST', `/v1/vms/${vm.id}/actions`, { action: 'stop' }));
    await settle(await me('POST', `/v1/volumes/${vol.id}/actions`, { action: 'attach', vmId: vm.id }));
    assert.equal((await me('GET', `/v1/volumes/${vol.id}`)).body.status, 'in-use');
  },
);
