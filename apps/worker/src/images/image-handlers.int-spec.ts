// image.upload/capture/delete through the runner against the simulator, and a VM booting from an uploaded image.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { QuotaService } from '@xenplane/tenancy';
import { simFault } from '@xenplane/testing';
import { XapiStorage } from '@xenplane/xapi-driver';
import { NetworksModule } from '../networks/networks.module.js';
import { XapiPoolsService } from '../pools/xapi-pools.service.js';
import { ImageSeeds } from '../testing/image-seeds.js';
import { startWorkerFixture, type WorkerFixture } from '../testing/worker-fixture.js';
import { VmsModule } from '../vms/vms.module.js';
import { VolumesModule } from '../volumes/volumes.module.js';
import { SnapshotsModule } from '../snapshots/snapshots.module.js';
import { ImagesModule } from './images.module.js';

const run = promisify(execFile);
const MiB = 1024 ** 2;
let fx: WorkerFixture;
let images: ImageSeeds;
let spool: string;
before(async () => {
  spool = await mkdtemp(join(tmpdir(), 'img-worker-'));
  fx = await startWorkerFixture({
    features: [VmsModule, NetworksModule, VolumesModule, SnapshotsModule, ImagesModule],
    env: { IMAGE_SPOOL_DIR: spool },
  });
  images = new ImageSeeds({ ds: fx.ds, poolId: fx.poolId, get: fx.get }, spool);
});
after(async () => {
  await fx?.close();
  await rm(spool, { recursive: true, force: true });
});
const pool = (method: string, ...params: unknown[]) => fx.pool(method, ...params);
const storage = async () => new XapiStorage((await fx.get(XapiPoolsService).forPool(fx.poolId)).client);

/** XAPI VDIs (not snapshots) whose other_config[key] is `value`. */
const vdisWith = async (key: string, value: string) =>
  Object.values<Record<string, any>>(await pool('VDI.get_all_records')).filter((v) => v.other_config[key] === value && !v.is_a_snapshot);

/** The VDI's first `bytes` bytes as /export_raw_vdi streams them. */
async function exported(uuid: string, bytes?: number): Promise<Buffer> {
  const s = await storage();
  const stream = await s.exportVdi(await pool('VDI.get_by_uuid', uuid), { format: 'raw' });
  const parts: Buffer[] = [];
  let got = 0;
  for await (const chunk of stream) {
    parts.push(chunk as Buffer);
    got += (chunk as Buffer).length;
    if (bytes !== undefined && got >= bytes) {
      stream.destroy();
      break;
    }
  }
  const all = Buffer.concat(parts);
  return bytes === undefined ? all : all.subarray(0, bytes);
}

async function uploaded(tenantId: string, bytes: Buffer, format?: 'raw' | 'vhd' | 'qcow2') {
  const { image, operation } = await images.upload(tenantId, bytes, format);
  await fx.attempt(operation);
  return { image: await images.find(tenantId, image.id), operation: await fx.operation(operation) };
}

test('image.upload imports the spooled raw disk into one marked golden VDI that exports back byte for byte; a retry makes no second one', async () => {
  const tenantId = await fx.seed.tenant();
  const bytes = Buffer.concat([randomBytes(2 * MiB), Buffer.alloc(MiB), randomBytes(MiB + 512)]);
  const { image, operation } = await images.upload(tenantId, bytes);
  // The first attempt dies right after VDI.create answered.
  await simFault(fx.sim, { method: 'VDI.get_uuid', code: 'HOST_OFFLINE', params: ['OpaqueRef:x'] });
  await assert.rejects(fx.attempt(operation), /HOST_OFFLINE/);
  await fx.attempt(operation, { attemptsMade: 1 });
  assert.equal((await fx.operation(operation)).status, 'succeeded', JSON.stringify(await fx.operation(operation)));
  const [vdi, ...more] = await vdisWith('xenplane-image', image.id);
  assert.deepEqual(more, []);
  assert.equal(Number(vdi.virtual_size), bytes.length);
  const row = await images.find(tenantId, image.id);
  assert.deepEqual([row.status, row.presence, row.xapiUuid], ['active', 'present', vdi.uuid]);
  assert.ok((await exported(vdi.uuid)).equals(bytes), 'the export is the upload');
  assert.deepEqual(
    (await readdir(spool)).filter((n) => n.startsWith(image.id)),
    [],
    'the spooled file is gone once imported',
  );
  assert.equal((await fx.get(QuotaService).get(tenantId)).used.imageGiB, 1);
});

test('a qcow2 upload is converted for a pool without qcow2 import (the simulator refuses format=qcow2 as older xapi does)', async () => {
  const tenantId = await fx.seed.tenant();
  const dir = await mkdtemp(join(tmpdir(), 'img-qcow-'));
  try {
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'd.qcow2'), '16M']);
    await run('qemu-io', ['-c', 'write -P 0x5a 1M 3M', join(dir, 'd.qcow2')]);
    await run('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', join(dir, 'd.qcow2'), join(dir, 'd.raw')]);
    const { image, operation } = await uploaded(tenantId, await readFile(join(dir, 'd.qcow2')));
    assert.equal(operation.status, 'succeeded', JSON.stringify(operation));
    assert.deepEqual([image.diskFormat, image.sizeBytes], ['qcow2', 16 * MiB]);
    assert.ok((await exported(image.xapiUuid!)).equals(await readFile(join(dir, 'd.raw'))), 'the disk holds what the qcow2 held');
    assert.equal((await fx.calls())['task.create'] > 0, true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a VHD the pool cannot read fails the upload as image_invalid: no VDI left, imageGiB given back', async () => {
  const tenantId = await fx.seed.tenant();
  const dir = await mkdtemp(join(tmpdir(), 'img-vhd-'));
  try {
    await run('qemu-img', ['create', '-q', '-f', 'vpc', '-o', 'subformat=dynamic,force_size=on', join(dir, 'd.vhd'), '8M']);
    const vhd = await readFile(join(dir, 'd.vhd'));
    vhd.fill(0xff, 512, 1024); // the dynamic header: its cookie and table offset gone, the footer intact
    const { image, operation } = await uploaded(tenantId, vhd);
    assert.equal(operation.status, 'failed');
    assert.deepEqual([operation.errorCode, image.errorReason], ['image_invalid', 'image_invalid']);
    assert.deepEqual([image.status, image.presence], ['error', 'released']);
    assert.deepEqual(await vdisWith('xenplane-image', image.id), []);
    assert.equal((await fx.get(QuotaService).get(tenantId)).used.imageGiB, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a VM boots from an uploaded image: a clone of the golden disk at the flavor's size; its delete leaves the golden", async () => {
  const tenantId = await fx.seed.tenant();
  const bytes = randomBytes(4 * MiB);
  const { image } = await uploaded(tenantId, bytes);
  const flavor = await fx.seed.flavor({ vcpus: 1, memoryMiB: 512, diskGiB: 2 });
  const vm = await fx.provisioned(tenantId, { image, flavor });
  assert.equal(vm.status, 'running', JSON.stringify(vm));
  const [disk, ...more] = await vdisWith('xenplane-image-disk', vm.id);
  assert.deepEqual(more, []);
  assert.notEqual(disk.uuid, image.xapiUuid);
  assert.equal(disk.other_config['xenplane-image'], undefined, "the clone is the VM's, not the image's");
  assert.equal(Number(disk.virtual_size), 2 * 1024 ** 3);
  const vbd = await pool('VBD.get_record', disk.VBDs[0]);
  assert.deepEqual([vbd.userdevice, vbd.bootable, vbd.VM], ['0', true, await pool('VM.get_by_uuid', vm.xapiUuid)]);
  await fx.attempt(await fx.seed.act(tenantId, vm.id, 'stop'));
  assert.ok((await exported(disk.uuid, bytes.length)).equals(bytes), 'the boot disk starts with the image');
  const del = await fx.seed.act(tenantId, vm.id, 'delete');
  await fx.attempt(del);
  assert.deepEqual(await vdisWith('xenplane-image-disk', vm.id), []);
  assert.equal((await vdisWith('xenplane-image', image.id)).length, 1);
});

test('image.capture copies a stopped VM boot disk into a golden VDI of its own; image.delete destroys it and gives imageGiB back', async () => {
  const tenantId = await fx.seed.tenant();
  const vm = await fx.provisioned(tenantId);
  const stop = await fx.seed.act(tenantId, vm.id, 'stop');
  await fx.attempt(stop);
  const { image, operation } = await images.capture(tenantId, await fx.vm(vm));
  await fx.attempt(operation);
  assert.equal((await fx.operation(operation)).status, 'succeeded', JSON.stringify(await fx.operation(operation)));
  const row = await images.find(tenantId, image.id);
  const [golden] = await vdisWith('xenplane-image', image.id);
  assert.deepEqual([row.status, row.presence, row.xapiUuid, row.sizeBytes], ['active', 'present', golden.uuid, vm.diskGiB * 1024 ** 3]);
  assert.deepEqual(golden.VBDs, [], 'independent of the VM');
  assert.equal((await fx.get(QuotaService).get(tenantId)).used.imageGiB, vm.diskGiB);
  const del = await images.remove(tenantId, image.id);
  await fx.attempt(del);
  assert.equal((await fx.operation(del)).status, 'succeeded');
  assert.deepEqual(await vdisWith('xenplane-image', image.id), []);
  assert.deepEqual([(await images.find(tenantId, image.id)).status, (await images.find(tenantId, image.id)).presence], ['deleted', 'released']);
  assert.equal((await fx.get(QuotaService).get(tenantId)).used.imageGiB, 0);
  const recount = await fx.get(QuotaService).recount(tenantId);
  assert.equal(recount.drift.imageGiB, 0);
});
