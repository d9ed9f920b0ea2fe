// Issue 17 end to end with the real processes: a VM snapshot, a resize, and a revert that brings the flavor, quota and
// billing back, re-creates the VIF (new uuid, same MAC, same address: with SIM_NETWORK=ovs the NIC still answers pings),
// keeps an attached volume attached; then snapshot deletes and a VM delete that takes its snapshots, with 0 orphans.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import pg from 'pg';
import { XapiClient, XapiStorage } from '@xenplane/xapi-driver';
import { eventually, xapi } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';
import { settler } from './settle.js';
import { pings, type GuestVm } from './dataplane/guest.js';
import { ovsSkipReason } from './dataplane/ovs-prereqs.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const ovs = (await ovsSkipReason()) === false;
let stack: Stack;
let db: pg.Pool;
before(async () => {
  stack = await startStack(ovs ? { SIM_NETWORK: 'ovs' } : {});
  db = new pg.Pool({ connectionString: stack.db.url, max: 2 });
});
after(async () => {
  await db?.end();
  await stack?.stop();
});

test(
  'snapshot, resize, revert: flavor, quota and billing come back; the NIC keeps its MAC and address; snapshots leave nothing',
  { timeout: 480_000 },
  async () => {
    const op = client(stack.api.url, OPERATOR_TOKEN);
    const small = (await op('POST', '/v1/flavors', { name: 's-small', vcpus: 1, memoryMiB: 512, diskGiB: 10 })).body.id;
    const big = (await op('POST', '/v1/flavors', { name: 's-big', vcpus: 2, memoryMiB: 1024, diskGiB: 12 })).body.id;
    const image = (await op('POST', '/v1/images', { name: 's-deb', template: 'Debian Bookworm 12' })).body.id;
    const t = await op('POST', '/v1/tenants', { name: 'snapshots-co' });
    const me = client(stack.api.url, (await op('POST', `/v1/tenants/${t.body.id}/api-keys`, { name: 'k', role: 'admin' })).body.token);
    const settle = settler(me, 90_000);
    const pool = await xapi(stack.sim.url);
    const network = async (name: string, cidr: string) => (await settle(await me('POST', '/v1/networks', { name, cidr }))).network.id as string;
    const [net, later, gone] = [await network('lan', '10.0.0.0/24'), await network('later', '10.1.0.0/24'), await network('gone', '10.2.0.0/24')];
    const vmOf = async (name: string, networkIds: string[]) =>
      (await settle(await me('POST', '/v1/vms', { name, flavorId: small, imageId: image, networkIds }))).vm.id;
    const [aId, bId] = [await vmOf('a', [net, gone]), await vmOf('b', [net])];
    const get = async (id: string) =>
      (await me('GET', `/v1/vms/${id}`)).body as GuestVm & {
        xapiUuid: string;
        flavorId: string;
        vcpus: number;
        status: string;
        liveMax: { vcpus: number; memoryMiB: number };
      };
    const a0 = await get(aId);
    const vmRef = await pool('VM.get_by_uuid', a0.xapiUuid);
    const vol = (await settle(await me('POST', '/v1/volumes', { name: 'data', sizeGiB: 4 }))).volume.id;
    await settle(await me('POST', `/v1/volumes/${vol}/actions`, { action: 'attach', vmId: aId }));

    // The snapshot: the boot disk alone (the volume and the config drive are ignore_vdis), and the sizes.
    const taken = await settle(await me('POST', `/v1/vms/${aId}/snapshots`, { name: 'base' }));
    const snap = (await me('GET', `/v1/snapshots/${taken.snapshot.id}`)).body;
    assert.deepEqual([snap.status, snap.sizeGiB, snap.vmSizes.vcpus], ['available', 10, 1]);
    const snapRef = await pool('VM.get_by_uuid', snap.xapiUuid);
    const snapRec = await pool('VM.get_record', snapRef);
    assert.deepEqual([snapRec.is_a_snapshot, snapRec.snapshot_of], [true, vmRef]);
    const snapDisks = await Promise.all(snapRec.VBDs.map((r: string) => pool('VBD.get_record', r)));
    assert.equal(snapDisks.filter((v: { type: string }) => v.type === 'Disk').length, 1, 'only the boot disk is copied');
    const snapVdi = await pool('VDI.get_uuid', snapDisks.find((v: { type: string }) => v.type === 'Disk').VDI);
    assert.deepEqual([(await me('GET', '/v1/quota')).body.used.snapshots, (await me('GET', '/v1/quota')).body.used.snapshotGiB], [1, 10]);

    // A resize (stopped: the disk grows) and back up.
    await settle(await me('POST', `/v1/vms/${aId}/actions`, { action: 'stop' }));
    await settle(await me('PATCH', `/v1/vms/${aId}`, { flavorId: big }));
    // NICs change after the snapshot too: one it has is removed (its address given back), one it lacks is added.
    const goneNic = (await get(aId)).nics.find((n) => n.networkId === gone)!;
    await settle(await me('DELETE', `/v1/vms/${aId}/nics/${(goneNic as unknown as { id: string }).id}`));
    await settle(await me('POST', `/v1/vms/${aId}/nics`, { networkId: later }));
    await settle(await me('POST', `/v1/vms/${aId}/actions`, { action: 'start' }));
    const aPre = await get(aId);
    assert.deepEqual(aPre.nics.map((n) => n.networkId).sort(), [net, later].sort());
    const grown = await get(aId);
    assert.deepEqual([grown.vcpus, grown.flavorId, grown.status], [2, big, 'running']);
    const usedBig = (await me('GET', '/v1/quota')).body.used;
    assert.deepEqual([usedBig.vcpus, usedBig.memoryMiB, usedBig.diskGiB], [3, 1536, 22]);
    const vifOf = async (vifs: string[], device: string) => {
      for (const v of vifs) if ((await pool('VIF.get_device', v)) === device) return v;
      return undefined;
    };
    const vifUuidBefore = await pool('VIF.get_uuid', await vifOf(await pool('VM.get_VIFs', vmRef), '0'));

    // The revert: the VM stops, takes the snapshot back and, as it ran, starts again.
    const reverted = await settle(await me('POST', `/v1/snapshots/${snap.id}/revert`));
    assert.deepEqual([reverted.vm.vcpus, reverted.vm.flavorId], [1, small], 'the row has the snapshot sizes from the start');
    const a1 = await get(aId);
    assert.deepEqual([a1.status, a1.flavorId, a1.vcpus, a1.xapiUuid], ['running', small, 1, a0.xapiUuid]);
    const rec = await pool('VM.get_record', vmRef);
    // the sizes and the live maximums the snapshot had (LIVE_RESIZE_HEADROOM over the small flavor), not the big one's
    assert.deepEqual(
      [Number(rec.VCPUs_at_startup), Number(rec.memory_dynamic_max), Number(rec.VCPUs_max), Number(rec.memory_static_max), rec.power_state],
      [1, 512 * MiB, a0.liveMax.vcpus, a0.liveMax.memoryMiB * MiB, 'Running'],
    );
    assert.deepEqual(a1.liveMax, a0.liveMax);
    const vifAfter = (await vifOf(rec.VIFs as string[], '0'))!;
    assert.notEqual(await pool('VIF.get_uuid', vifAfter), vifUuidBefore, 'xapi re-created the VIF');
    assert.equal((await pool('VIF.get_MAC', vifAfter)).toLowerCase(), a0.nics[0].mac.toLowerCase(), 'with the same MAC');
    assert.equal(rec.xenstore_data['vm-data/ip0'], `${a0.nics[0].ip}/24`, 'and the same address for the guest');
    // The VIFs are the NIC rows as they are now: the removed one's did not come back, the added one's did.
    const macs = await Promise.all((rec.VIFs as string[]).map(async (v) => ((await pool('VIF.get_MAC', v)) as string).toLowerCase()));
    assert.deepEqual(macs.sort(), aPre.nics.map((n) => n.mac.toLowerCase()).sort());
    for (const n of aPre.nics) assert.equal(rec.xenstore_data[`vm-data/ip${n.device}`], `${n.ip}/24`, `NIC ${n.device}'s address`);
    const shown = (vm: GuestVm) => vm.nics.map(({ device, mac, ip, networkId }) => ({ device, mac, ip, networkId }));
    assert.deepEqual(shown(a1), shown(aPre));
    const vbds = await Promise.all((rec.VBDs as string[]).map((r) => pool('VBD.get_record', r)));
    const bootVdi = await pool('VDI.get_record', vbds.find((v: { userdevice: string }) => v.userdevice === '0').VDI);
    assert.equal(Number(bootVdi.virtual_size), 10 * GiB, 'the boot disk is the snapshot size again');
    const volume = (await me('GET', `/v1/volumes/${vol}`)).body;
    assert.equal(volume.status, 'in-use');
    const volRef = await pool('VDI.get_by_uuid', volume.xapiUuid);
    const volVbd = vbds.find((v: { VDI: string }) => v.VDI === volRef);
    assert.ok(volVbd, 'the volume is attached again');
    assert.deepEqual([volVbd.userdevice, volVbd.currently_attached], [volume.device, true], 'at its device, plugged with the start');
    const usedBack = (await me('GET', '/v1/quota')).body.used;
    assert.deepEqual([usedBack.vcpus, usedBack.memoryMiB, usedBack.diskGiB], [2, 1024, 20]);
    const recount = (await op('POST', `/v1/tenants/${t.body.id}/quota/recount`)).body;
    assert.ok(
      Object.values(recount.drift).every((d) => d === 0),
      JSON.stringify(recount.drift),
    );
    // Billed as a resize: the big sizes from the resize, the small ones from the revert's success.
    const { rows } = await db.query(
      `SELECT kind, (attrs->>'vcpus')::int AS vcpus, (attrs->>'diskGiB')::int AS gib FROM usage_events WHERE resource_id = $1 AND kind = 'resized' ORDER BY occurred_at, id`,
      [aId],
    );
    assert.deepEqual(
      rows.map((r) => `${r.vcpus}/${r.gib}`),
      ['2/12', '1/10'],
    );
    if (ovs) {
      const b = await get(bId);
      const answered = await eventually('b pings a after the revert', async () => ((await pings(b, a0.nics[0].ip)) ? true : undefined), 45_000);
      assert.equal(answered, true);
    }

    // Deleting the snapshot takes its VM and disk; the quota comes back.
    const busy = await me('POST', `/v1/snapshots/${snap.id}/revert`);
    assert.equal(busy.status, 202, 'a snapshot may be reverted to again');
    await settle(busy);
    await settle(await me('DELETE', `/v1/snapshots/${snap.id}`));
    assert.equal((await me('GET', `/v1/snapshots/${snap.id}`)).body.status, 'deleted');
    const vdis = Object.values<{ uuid: string }>(await pool('VDI.get_all_records')).map((v) => v.uuid);
    assert.ok(!vdis.includes(snapVdi), "the snapshot's disk is gone");
    const vmsNow = Object.values<{ uuid: string }>(await pool('VM.get_all_records')).map((v) => v.uuid);
    assert.ok(!vmsNow.includes(snap.xapiUuid), 'the snapshot VM is gone');

    // A VM delete takes its snapshots (VM and disks) with it, and their quota.
    const second = await settle(await me('POST', `/v1/vms/${aId}/snapshots`, { name: 'second' }));
    const secondUuid = (await me('GET', `/v1/snapshots/${second.snapshot.id}`)).body.xapiUuid;
    await settle(await me('POST', `/v1/volumes/${vol}/actions`, { action: 'detach' }));
    await settle(await me('DELETE', `/v1/vms/${aId}`));
    assert.equal((await me('GET', `/v1/snapshots/${second.snapshot.id}`)).body.status, 'deleted');
    const left = Object.values<{ uuid: string; name_label: string; is_a_snapshot: boolean }>(await pool('VM.get_all_records'));
    assert.ok(!left.some((v) => v.uuid === secondUuid || v.name_label.startsWith('xenplane-snapshot-')), 'no snapshot VM is left');
    const used = (await me('GET', '/v1/quota')).body.used;
    assert.deepEqual([used.snapshots, used.snapshotGiB], [0, 0]);
    // snapshot-gib-hour: each snapshot billed from its making to its deletion at the 10 GiB it copies.
    const { rows: metered } = await db.query(
      `SELECT resource_id, kind, (attrs->>'diskGiB')::int AS gib FROM usage_events WHERE resource_type = 'snapshot' ORDER BY occurred_at, id`,
    );
    assert.deepEqual(
      metered.map((r) => `${r.resource_id === snap.id ? 'base' : 'second'}:${r.kind}:${r.gib}`),
      ['base:created:10', 'base:deleted:10', 'second:created:10', 'second:deleted:10'],
    );
  },
);

test("a volume's snapshot restores to a new volume holding the content it had when taken", { timeout: 240_000 }, async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const t = await op('POST', '/v1/tenants', { name: 'restore-co' });
  const me = client(stack.api.url, (await op('POST', `/v1/tenants/${t.body.id}/api-keys`, { name: 'k', role: 'admin' })).body.token);
  const settle = settler(me);
  const storage = new XapiStorage(new XapiClient({ url: stack.sim.url, username: 'root', password: 'xenroot', originator: 'e2e-restore' }));
  const write = async (vdiUuid: string, bytes: Buffer) =>
    storage.importVdi(await storage.client.call<string>('VDI.get_by_uuid', vdiUuid), Readable.from([bytes]), { format: 'raw', length: bytes.length });
  const head = async (vdiUuid: string, n: number) => {
    const stream = await storage.exportVdi(await storage.client.call<string>('VDI.get_by_uuid', vdiUuid), { format: 'raw' });
    const chunks: Buffer[] = [];
    let got = 0;
    for await (const c of stream) {
      chunks.push(c as Buffer);
      got += (c as Buffer).length;
      if (got >= n) break;
    }
    stream.destroy();
    return Buffer.concat(chunks).subarray(0, n);
  };
  try {
    const vol = (await settle(await me('POST', '/v1/volumes', { name: 'src', sizeGiB: 1 }))).volume.id;
    const src = (await me('GET', `/v1/volumes/${vol}`)).body;
    const before = randomBytes(64 * 1024);
    await write(src.xapiUuid, before);
    const snap = (await settle(await me('POST', `/v1/volumes/${vol}/snapshots`, { name: 'monday' }))).snapshot.id;
    await write(src.xapiUuid, randomBytes(64 * 1024)); // the volume moves on
    const small = await me('POST', '/v1/volumes', { name: 'copy', sizeGiB: 0, snapshotId: snap });
    assert.equal(small.status, 400);
    const restored = await settle(await me('POST', '/v1/volumes', { name: 'copy', sizeGiB: 2, snapshotId: snap }));
    const copy = (await me('GET', `/v1/volumes/${restored.volume.id}`)).body;
    assert.deepEqual([copy.status, copy.sourceSnapshotId, copy.sizeGiB], ['available', snap, 2]);
    assert.equal(Number(await storage.vdiSize(await storage.client.call<string>('VDI.get_by_uuid', copy.xapiUuid))), 2 * GiB);
    assert.ok((await head(copy.xapiUuid, before.length)).equals(before), 'the copy holds what the volume held at the snapshot');
    // the snapshot can go now; the restored volume is a volume of its own
    await settle(await me('DELETE', `/v1/snapshots/${snap}`));
    assert.equal((await me('GET', `/v1/volumes/${restored.volume.id}`)).body.status, 'available');
    const used = (await me('GET', '/v1/quota')).body.used;
    assert.deepEqual([used.volumes, used.volumeGiB, used.snapshots], [2, 3, 0]);
  } finally {
    await storage.client.close();
  }
});
