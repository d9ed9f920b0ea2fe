// volume.create/attach/detach/resize/delete through the runner against the simulator, and a volume outliving its VM.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { QuotaService } from '@xenplane/tenancy';
import { simControl, simFault } from '@xenplane/testing';
import { NetworksModule } from '../networks/networks.module.js';
import { startWorkerFixture, type WorkerFixture } from '../testing/worker-fixture.js';
import { VolumeSeeds } from '../testing/volume-seeds.js';
import { VmsModule } from '../vms/vms.module.js';
import { SnapshotsModule } from '../snapshots/snapshots.module.js';
import { VolumesModule } from './volumes.module.js';
import { ImagesModule } from '../images/images.module.js';

const GiB = 1024 ** 3;
let fx: WorkerFixture;
let vols: VolumeSeeds;
before(async () => {
  fx = await startWorkerFixture({ features: [VmsModule, NetworksModule, VolumesModule, SnapshotsModule, ImagesModule] });
  vols = new VolumeSeeds({ ds: fx.ds, poolId: fx.poolId, get: fx.get });
});
after(async () => {
  await fx?.close();
});
const pool = (method: string, ...params: unknown[]) => fx.pool(method, ...params);

/** XAPI VDIs carrying this volume's id. */
const vdisOf = async (id: string) =>
  Object.values<Record<string, any>>(await pool('VDI.get_all_records')).filter((v) => v.other_config['xenplane-volume'] === id);
const vbdsOf = async (vdiUuid: string) => {
  const vdi = await pool('VDI.get_by_uuid', vdiUuid);
  return Promise.all((await pool('VDI.get_VBDs', vdi)).map((ref: string) => pool('VBD.get_record', ref)));
};
const guest = (vmUuid: string, tools: object) => simControl(fx.sim, `/sim/vms/${vmUuid}/guest-tools`, tools);

async function made(tenantId: string, sizeGiB = 2) {
  const { volume, operation } = await vols.create(tenantId, sizeGiB);
  await fx.attempt(operation);
  assert.equal((await fx.operation(operation)).status, 'succeeded');
  return vols.find(volume);
}
async function attached(tenantId: string) {
  const vm = await fx.provisioned(tenantId);
  const volume = await made(tenantId);
  const op = await vols.attach(tenantId, volume.id, vm.id);
  await fx.attempt(op);
  assert.equal((await fx.operation(op)).status, 'succeeded', JSON.stringify(await fx.operation(op)));
  return { vm, volume: await vols.find(volume) };
}

test('volume.create makes one VDI of the size on the default SR, tagged with the volume id; a retry finds it', async () => {
  const tenantId = await fx.seed.tenant();
  const { volume, operation } = await vols.create(tenantId, 3);
  const before = (await fx.calls())['VDI.create'] ?? 0;
  // The attempt dies after VDI.create answered.
  await simFault(fx.sim, { method: 'VDI.get_uuid', code: 'HOST_OFFLINE', params: ['OpaqueRef:x'] });
  await assert.rejects(fx.attempt(operation), /HOST_OFFLINE/);
  await fx.attempt(operation, { attemptsMade: 1 });
  assert.equal((await fx.calls())['VDI.create'], before + 1);
  const [vdi, ...more] = await vdisOf(volume.id);
  assert.deepEqual(more, []);
  assert.equal(Number(vdi.virtual_size), 3 * GiB);
  const [poolRef] = await pool('pool.get_all');
  assert.equal(vdi.SR, await pool('pool.get_default_SR', poolRef));
  const row = await vols.find(volume);
  assert.deepEqual([row.status, row.presence, row.xapiUuid], ['available', 'present', vdi.uuid]);
});

test('volume.attach to a running VM plugs a VBD in a disk slot (never the CD slot 3); volume.detach unplugs and destroys it', async () => {
  const tenantId = await fx.seed.tenant();
  const { vm, volume } = await attached(tenantId);
  const [vbd] = await vbdsOf(volume.xapiUuid!);
  assert.deepEqual([vbd.VM, vbd.currently_attached, vbd.mode, vbd.type], [await pool('VM.get_by_uuid', vm.xapiUuid), true, 'RW', 'Disk']);
  assert.notEqual(vbd.userdevice, '3');
  assert.deepEqual([volume.status, volume.vmId, volume.device, volume.vbdUuid], ['in-use', vm.id, vbd.userdevice, vbd.uuid]);
  const op = await vols.detach(tenantId, volume.id);
  await fx.attempt(op);
  assert.equal((await fx.operation(op)).status, 'succeeded');
  assert.deepEqual(await vbdsOf(volume.xapiUuid!), []);
  const row = await vols.find(volume);
  assert.deepEqual([row.status, row.vmId, row.device], ['available', null, null]);
});

test('a running guest that cannot hot-plug fails the attach with requires_stop and leaves no VBD; a halted VM takes the VBD unplugged', async () => {
  const tenantId = await fx.seed.tenant();
  const vm = await fx.provisioned(tenantId);
  await guest(vm.xapiUuid!, { hotplugVbd: 'no' });
  const volume = await made(tenantId);
  const op = await vols.attach(tenantId, volume.id, vm.id);
  await fx.attempt(op);
  const failed = await fx.operation(op);
  assert.deepEqual([failed.status, failed.errorCode], ['failed', 'requires_stop']);
  assert.deepEqual(await vbdsOf(volume.xapiUuid!), []);
  assert.deepEqual([(await vols.find(volume)).status, (await vols.find(volume)).vmId], ['available', null]);

  await pool('VM.hard_shutdown', await pool('VM.get_by_uuid', vm.xapiUuid));
  const again = await vols.attach(tenantId, volume.id, vm.id);
  await fx.attempt(again);
  assert.equal((await fx.operation(again)).status, 'succeeded');
  const [vbd] = await vbdsOf(volume.xapiUuid!);
  assert.equal(vbd.currently_attached, false);
});

test('a guest that refuses the detach leaves the volume attached with device_detach_rejected; force detaches it', async () => {
  const tenantId = await fx.seed.tenant();
  const { vm, volume } = await attached(tenantId);
  await guest(vm.xapiUuid!, { refuseDetach: true });
  const op = await vols.detach(tenantId, volume.id);
  await fx.attempt(op);
  const failed = await fx.operation(op);
  assert.deepEqual([failed.status, failed.errorCode], ['failed', 'device_detach_rejected']);
  const [vbd] = await vbdsOf(volume.xapiUuid!);
  assert.equal(vbd.currently_attached, true);
  assert.deepEqual([(await vols.find(volume)).status, (await vols.find(volume)).vmId], ['in-use', vm.id]);
  const forced = await vols.detach(tenantId, volume.id, true);
  await fx.attempt(forced);
  assert.equal((await fx.operation(forced)).status, 'succeeded');
  assert.deepEqual(await vbdsOf(volume.xapiUuid!), []);
  assert.equal((await vols.find(volume)).status, 'available');
});

test('volume.resize grows the VDI; a VM started meanwhile fails it with detach_required, back to the old size and quota', async () => {
  const tenantId = await fx.seed.tenant();
  const volume = await made(tenantId, 2);
  const op = await vols.resize(tenantId, volume.id, 5);
  await fx.attempt(op);
  assert.equal((await fx.operation(op)).status, 'succeeded');
  assert.equal(Number((await vdisOf(volume.id))[0].virtual_size), 5 * GiB);
  assert.deepEqual([(await vols.find(volume)).sizeGiB, (await vols.find(volume)).status], [5, 'available']);

  const { volume: plugged } = await attached(tenantId);
  const quota = async () => (await fx.get(QuotaService).get(tenantId)).used.volumeGiB;
  const before = await quota();
  const grow = await vols.resize(tenantId, plugged.id, 9);
  assert.equal(await quota(), before + 7);
  await fx.attempt(grow);
  const failed = await fx.operation(grow);
  assert.deepEqual([failed.status, failed.errorCode], ['failed', 'detach_required']);
  assert.deepEqual([(await vols.find(plugged)).sizeGiB, (await vols.find(plugged)).status], [2, 'in-use']);
  assert.equal(await quota(), before);
  assert.equal(Number((await vdisOf(plugged.id))[0].virtual_size), 2 * GiB);
});

test('volume.delete destroys the VDI and gives the quota back; a VDI already gone counts as done', async () => {
  const tenantId = await fx.seed.tenant();
  const [a, b] = [await made(tenantId, 4), await made(tenantId, 1)];
  await pool('VDI.destroy', await pool('VDI.get_by_uuid', b.xapiUuid));
  for (const v of [a, b]) {
    const op = await vols.remove(tenantId, v.id);
    await fx.attempt(op);
    assert.equal((await fx.operation(op)).status, 'succeeded');
    assert.deepEqual(await vdisOf(v.id), []);
    assert.deepEqual([(await vols.find(v)).status, (await vols.find(v)).presence], ['deleted', 'released']);
  }
  const used = (await fx.get(QuotaService).get(tenantId)).used;
  assert.deepEqual([used.volumes, used.volumeGiB], [0, 0]);
});

test('deleting the VM a volume is attached to keeps the volume: its VDI survives, the row is available, detached', async () => {
  const tenantId = await fx.seed.tenant();
  const { vm, volume } = await attached(tenantId);
  const vmRef = await pool('VM.get_by_uuid', vm.xapiUuid);
  const vmVdis = await Promise.all((await pool('VM.get_VBDs', vmRef)).map(async (b: string) => (await pool('VBD.get_record', b)).VDI));
  const del = await fx.seed.act(tenantId, vm.id, 'delete');
  await fx.attempt(del);
  assert.equal((await fx.operation(del)).status, 'succeeded');
  const [vdi] = await vdisOf(volume.id);
  assert.equal(vdi?.uuid, volume.xapiUuid, 'the volume VDI survives');
  const all = Object.keys(await pool('VDI.get_all_records'));
  assert.deepEqual(
    vmVdis.filter((r: string) => all.includes(r)),
    [await pool('VDI.get_by_uuid', volume.xapiUuid)],
    "the VM's own disks are gone",
  );
  const row = await vols.find(volume);
  assert.deepEqual([row.status, row.vmId, row.vbdUuid, row.presence], ['available', null, null, 'present']);
});
