// The config drive as a step of vm.create against the simulator: uploaded as a marked VDI, attached read-only before
// the first start, read back through /export_raw_vdi and accepted by a real cloud-init; no orphan after a crash at
// any point of the step; destroyed with the VM; rebuilt with the same instance-id when the NICs changed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buffer } from 'node:stream/consumers';
import { randomBytes } from 'node:crypto';
import { SecretBox, type NetworkEntity, type VmEntity } from '@xenplane/core';
import { cloudInitReads, extractIso } from '@xenplane/config-drive/testing';
import { poolCensus, simFault } from '@xenplane/testing';
import { XapiClient, XapiPool, XapiStorage } from '@xenplane/xapi-driver';
import { startWorkerFixture, type WorkerFixture } from '../testing/worker-fixture.js';
import { CONFIG_DRIVE_DIGEST_KEY, CONFIG_DRIVE_KEY, ConfigDriveService } from './config-drive.service.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO8S6BULLDKt+Z2DImlJduxYFRtXzKt8NhOOr0AWMOGO alice@laptop';
const SCRIPT = '#!/bin/sh\necho provisioned > /root/ok\n';
let fx: WorkerFixture;
let client: XapiClient;
let network: NetworkEntity;

before(async () => {
  fx = await startWorkerFixture();
  client = new XapiClient({ url: fx.sim.url, username: 'root', password: 'xenroot', originator: 'drive-tests' });
  const tenantId = await fx.seed.tenant();
  const made = await fx.seed.network(tenantId, '10.44.0.0/24');
  await fx.attempt(made.operation);
  network = made.network;
});
after(async () => {
  await client?.close();
  await fx?.close();
});

interface DriveVdi {
  ref: string;
  uuid: string;
  other_config: Record<string, string>;
  VBDs: string[];
}
async function drivesOf(vmId: string): Promise<DriveVdi[]> {
  const all = (await fx.pool('VDI.get_all_records')) as Record<string, Omit<DriveVdi, 'ref'>>;
  return Object.entries(all)
    .filter(([, v]) => v.other_config[CONFIG_DRIVE_KEY] === vmId)
    .map(([ref, v]) => ({ ref, ...v }));
}

async function readDrive(vdiRef: string) {
  return extractIso(await buffer(await new XapiStorage(client).exportVdi(vdiRef)));
}

const seedVm = (tenantId: string, name = 'web-1') =>
  fx.seed.vm(tenantId, { name, networks: [network], bootstrap: { hostname: name, sshKeys: [KEY], userData: SCRIPT } });

describe('vm.create attaches a config drive', () => {
  test('one marked VDI, attached read-only, that cloud-init reads as this VM with the addresses IPAM holds', async () => {
    const { vm, operation } = await seedVm(network.tenantId);
    await fx.attempt(operation);
    assert.equal((await fx.operation(operation)).status, 'succeeded');
    const [drive, ...more] = await drivesOf(vm.id);
    assert.ok(drive && more.length === 0, 'exactly one drive');
    const vbd = await fx.pool('VBD.get_record', drive.VBDs[0]);
    const row: VmEntity = await fx.vm(vm);
    assert.equal(vbd.VM, await fx.pool('VM.get_by_uuid', row.xapiUuid));
    assert.deepEqual([vbd.mode, vbd.type, vbd.bootable], ['RO', 'Disk', false]);
    assert.equal(drive.other_config[CONFIG_DRIVE_DIGEST_KEY]?.length, 64);

    const read = await readDrive(drive.ref);
    assert.equal(read.label, 'cidata');
    const seen = await cloudInitReads(read.dir, 'nocloud');
    assert.equal(seen.instanceId, vm.id);
    assert.equal(seen.hostname, 'web-1');
    assert.deepEqual(seen.parts, ['text/x-shellscript', 'text/cloud-config']);
    assert.deepEqual(seen.cloudConfig, { ssh_authorized_keys: [KEY] });
    const [nic] = await fx.ds.query<{ mac: string; ip: string }[]>(`SELECT mac::text, host(ip) AS ip FROM vm_nics WHERE vm_id = $1`, [vm.id]);
    assert.deepEqual(seen.networkConfig, {
      version: 2,
      ethernets: {
        eth0: {
          match: { macaddress: nic.mac },
          'set-name': 'eth0',
          addresses: [`${nic.ip}/24`],
          mtu: 1450,
          routes: [{ to: '0.0.0.0/0', via: '10.44.0.1' }],
        },
      },
    });
  });

  test('a crash before the upload or before the attach leaves no orphan: the retry ends with one complete attached drive', async () => {
    const { vm, operation } = await seedVm(network.tenantId, 'crashy');
    // dies between VDI.create and the upload (the upload's task is never made): an empty VDI, marked, unattached
    await simFault(fx.sim, { method: 'task.create', code: 'HOST_OFFLINE', params: ['OpaqueRef:x'], times: 1 });
    await assert.rejects(fx.attempt(operation), /HOST_OFFLINE/);
    const half = await drivesOf(vm.id);
    assert.equal(half.length, 1);
    assert.deepEqual(half[0].VBDs, [], 'made, not uploaded, so not attached');

    // dies after the upload, before the attach: only a VBD says a drive is complete, so this one is not trusted either
    await simFault(fx.sim, { method: 'VBD.create', code: 'HOST_OFFLINE', params: ['OpaqueRef:x'], times: 1 });
    await assert.rejects(fx.attempt(operation, { attemptsMade: 1 }), /HOST_OFFLINE/);
    const unattached = await drivesOf(vm.id);
    assert.equal(unattached.length, 1, 'the incomplete one was destroyed, another made');
    assert.notEqual(unattached[0].uuid, half[0].uuid);
    assert.deepEqual(unattached[0].VBDs, []);

    await fx.attempt(operation, { attemptsMade: 2 });
    assert.equal((await fx.operation(operation)).status, 'succeeded');
    const done = await drivesOf(vm.id);
    assert.equal(done.length, 1, 'one drive in the end');
    assert.ok(![half[0].uuid, unattached[0].uuid].includes(done[0].uuid), 'made again, since neither earlier one was attached');
    assert.equal(done[0].VBDs.length, 1, 'attached');
    const read = await readDrive(done[0].ref);
    assert.equal(read.label, 'cidata');
    assert.equal((await cloudInitReads(read.dir, 'nocloud')).instanceId, vm.id, 'its content complete');
  });

  test('a create that fails for good takes an unattached drive with it; a delete takes the attached one', async () => {
    const { vm, operation } = await seedVm(network.tenantId, 'doomed');
    await simFault(fx.sim, { method: 'VBD.create', code: 'SR_FULL', params: ['OpaqueRef:x'], times: 1 });
    await fx.attempt(operation, { attemptsMade: 7, attempts: 8 });
    assert.equal((await fx.operation(operation)).status, 'failed');
    assert.deepEqual(await drivesOf(vm.id), []);

    const loose = (await poolCensus(fx.sim)).looseVdis.length;
    const made = await seedVm(network.tenantId, 'short-lived');
    await fx.attempt(made.operation);
    assert.equal((await drivesOf(made.vm.id)).length, 1);
    const del = await fx.seed.act(made.vm.tenantId, made.vm.id, 'delete');
    await fx.attempt(del);
    assert.equal((await fx.operation(del)).status, 'succeeded');
    assert.deepEqual(await drivesOf(made.vm.id), []);
    assert.equal((await poolCensus(fx.sim)).looseVdis.length, loose, 'no disk left behind');
  });

  test('after its NICs change, the next start rebuilds the drive: same instance-id, the new network-config', async () => {
    const { vm, operation } = await seedVm(network.tenantId, 'moved');
    await fx.attempt(operation);
    const [before] = await drivesOf(vm.id);
    const stop = await fx.seed.act(vm.tenantId, vm.id, 'stop');
    await fx.attempt(stop);
    await fx.ds.query(`UPDATE vms SET status = 'stopped' WHERE id = $1`, [vm.id]);
    await fx.ds.query(`UPDATE vm_nics SET ip = '10.44.0.200' WHERE vm_id = $1`, [vm.id]);
    const start = await fx.seed.act(vm.tenantId, vm.id, 'start');
    await fx.attempt(start);
    assert.equal((await fx.operation(start)).status, 'succeeded');
    const after = await drivesOf(vm.id);
    assert.equal(after.length, 1);
    assert.notEqual(after[0].uuid, before.uuid);
    const seen = await cloudInitReads((await readDrive(after[0].ref)).dir, 'nocloud');
    assert.equal(seen.instanceId, vm.id);
    assert.deepEqual((seen.networkConfig as { ethernets: { eth0: { addresses: string[] } } }).ethernets.eth0.addresses, ['10.44.0.200/24']);

    await fx.attempt(await fx.seed.act(vm.tenantId, vm.id, 'stop'));
    await fx.ds.query(`UPDATE vms SET status = 'stopped' WHERE id = $1`, [vm.id]);
    const uploads = (await fx.calls())['VDI.create'] ?? 0;
    await fx.attempt(await fx.seed.act(vm.tenantId, vm.id, 'start'));
    assert.equal((await fx.calls())['VDI.create'] ?? 0, uploads, 'no new upload');
    assert.deepEqual(
      (await drivesOf(vm.id)).map((d) => d.uuid),
      [after[0].uuid],
      'nothing changed: the drive is kept',
    );
  });

  test('on a running VM the stale drive is unplugged and destroyed; the rebuilt one attaches at the next start', async () => {
    const { vm, operation } = await seedVm(network.tenantId, 'live');
    await fx.attempt(operation);
    const [before] = await drivesOf(vm.id);
    await fx.ds.query(`UPDATE vm_nics SET ip = '10.44.0.201' WHERE vm_id = $1`, [vm.id]);
    const row = await fx.vm(vm);
    const pool = new XapiPool(client);
    const vmRef = (await pool.getVmByUuid(row.xapiUuid!))!.ref;
    await fx.get(ConfigDriveService).ensure(pool, row, vmRef);
    const after = await drivesOf(vm.id);
    assert.equal(after.length, 1);
    assert.notEqual(after[0].uuid, before.uuid);
    const vbd = await fx.pool('VBD.get_record', after[0].VBDs[0]);
    assert.deepEqual([vbd.VM, vbd.currently_attached], [vmRef, false]);
    const seen = await cloudInitReads((await readDrive(after[0].ref)).dir, 'nocloud');
    assert.equal(seen.instanceId, vm.id);
    assert.deepEqual((seen.networkConfig as { ethernets: { eth0: { addresses: string[] } } }).ethernets.eth0.addresses, ['10.44.0.201/24']);
  });

  test('user-data sealed under another key fails the create with its code, and leaves nothing on the pool', async () => {
    const { vm, operation } = await seedVm(network.tenantId, 'other-key');
    const foreign = new SecretBox(randomBytes(32).toString('base64')).seal(SCRIPT);
    await fx.ds.query(`UPDATE vm_bootstrap SET user_data_sealed = $2 WHERE vm_id = $1`, [vm.id, foreign]);
    await fx.attempt(operation);
    const failed = await fx.operation(operation);
    assert.deepEqual([failed.status, failed.errorCode], ['failed', 'user_data_unreadable']);
    assert.equal((await poolCensus(fx.sim)).byId.get(vm.id), undefined);
    assert.deepEqual(await drivesOf(vm.id), []);
  });
});
