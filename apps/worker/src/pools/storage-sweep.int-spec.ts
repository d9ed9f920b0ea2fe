// The storage sweep pool sync runs: what crashed sagas left on the simulator goes, what rows hold stays, an
// unconfirmed volume is adopted, and a volume VDI no row knows is reported and kept.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { VolumeRepository } from '@xenplane/core';
import { startWorkerFixture, type WorkerFixture } from '../testing/worker-fixture.js';
import { reconcileDrift } from '../worker.metrics.js';
import { StorageSweep } from './storage-sweep.js';
import { XapiPoolsService } from './xapi-pools.service.js';

let fx: WorkerFixture;
before(async () => {
  fx = await startWorkerFixture();
});
after(async () => {
  await fx?.close();
});

const exists = (cls: string, ref: string) =>
  fx.pool(`${cls}.get_uuid`, ref).then(
    () => true,
    () => false,
  );
const drift = async (kind: string) => (await reconcileDrift.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0;

test('snapshots, unmarked volume snapshots and config drives nobody holds are destroyed; held ones kept; a volume adopted or reported', async () => {
  const tenantId = await fx.seed.tenant();
  const vm = await fx.provisioned(tenantId);
  const vmRef = await fx.pool('VM.get_by_uuid', vm.xapiUuid);
  const [poolRef] = await fx.pool('pool.get_all');
  const sr = await fx.pool('pool.get_default_SR', poolRef);
  const vdi = (otherConfig: Record<string, string>) =>
    fx.pool('VDI.create', {
      name_label: 'left',
      SR: sr,
      virtual_size: 1024 * 1024,
      type: 'user',
      sharable: false,
      read_only: false,
      other_config: otherConfig,
    });

  // A snapshot VM a crashed create made for a row that is gone, and one a live row holds.
  const orphan = await fx.pool('VM.snapshot', vmRef, `xenplane-snapshot-${randomUUID()}`, []);
  const orphanDisk = await fx.pool('VBD.get_VDI', (await fx.pool('VM.get_VBDs', orphan))[0]);
  const heldId = randomUUID();
  const held = await fx.pool('VM.snapshot', vmRef, `xenplane-snapshot-${heldId}`, []);
  await fx.ds.query(
    `INSERT INTO snapshots (id, tenant_id, pool_id, vm_id, name, status, size_gib, vcpus, memory_mib, disk_gib, xapi_uuid, presence)
     VALUES ($1, $2, $3, $4, 'kept', 'available', 1, 1, 512, 1, $5, 'present')`,
    [heldId, tenantId, fx.poolId, vm.id, await fx.pool('VM.get_uuid', held)],
  );
  // A config drive of a VM no row has; the live VM's own drive stays.
  const drive = await vdi({ 'xenplane-configdrive': randomUUID() });
  const ownDrives = Object.entries<Record<string, any>>(await fx.pool('VDI.get_all_records')).filter(
    ([, v]) => v.other_config['xenplane-configdrive'] === vm.id,
  );
  // A volume VDI no row knows, with a snapshot a create took but could not mark.
  const unknown = await vdi({ 'xenplane-volume': randomUUID() });
  const unmarked = await fx.pool('VDI.snapshot', unknown, {});
  // A volume whose create failed without confirming what the pool had: its VDI is there.
  const volumeId = randomUUID();
  await fx.ds.query(
    `INSERT INTO volumes (id, tenant_id, pool_id, name, size_gib, status, presence, error_reason) VALUES ($1, $2, $3, 'lost', 1, 'error', 'unconfirmed', 'xapi_error')`,
    [volumeId, tenantId, fx.poolId],
  );
  const adoptable = await vdi({ 'xenplane-volume': volumeId });
  const [orphansBefore, adoptedBefore] = [await drift('orphan_snapshot'), await drift('adopted')];

  await fx.get(StorageSweep).sweep(fx.poolId, await fx.get(XapiPoolsService).forPool(fx.poolId));

  assert.deepEqual(
    [await exists('VM', orphan), await exists('VDI', orphanDisk), await exists('VDI', drive), await exists('VDI', unmarked)],
    [false, false, false, false],
    'what no row holds is gone, disks included',
  );
  assert.deepEqual(
    [await exists('VM', held), await exists('VM', vmRef), await exists('VDI', unknown)],
    [true, true, true],
    'what rows hold (and data) stays',
  );
  for (const [ref] of ownDrives) assert.equal(await exists('VDI', ref), true, "the live VM's config drive stays");
  const adopted = (await fx.get(VolumeRepository).find(tenantId, volumeId))!;
  assert.deepEqual([adopted.presence, adopted.status, adopted.xapiUuid], ['present', 'available', await fx.pool('VDI.get_uuid', adoptable)]);
  assert.equal(await drift('orphan_snapshot'), orphansBefore + 2);
  assert.equal(await drift('adopted'), adoptedBefore + 1);

  // A second pass finds nothing more to do.
  await fx.get(StorageSweep).sweep(fx.poolId, await fx.get(XapiPoolsService).forPool(fx.poolId));
  assert.equal(await drift('orphan_snapshot'), orphansBefore + 2);
});
