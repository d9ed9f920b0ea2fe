import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { XapiError } from '../errors/xapi-error.js';
import type { XapiClient } from '../client/xapi-client.js';
import { simControl } from '@xenplane/testing';
import { simClient, startSim, type SimProcess } from '../testing/sim-control.js';
import { provision } from '../testing/provision.js';
import { XapiPool } from './xapi-pool.js';
import { XapiStorage } from './xapi-storage.js';

const MiB = 1024 ** 2;

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('XapiStorage against the simulator over HTTP', () => {
  let sim: SimProcess;
  let client: XapiClient;
  let storage: XapiStorage;
  let pool: XapiPool;
  before(async () => {
    sim = await startSim(); // with a data directory of its own, removed when it stops (startSimProcess)
    client = simClient(sim);
    storage = new XapiStorage(client);
    pool = new XapiPool(client);
  });
  after(async () => {
    await client?.close();
    await sim?.stop();
  });

  const newDisk = async (size: number, srName = 'NFS storage') => {
    const [sr] = await client.call<string[]>('SR.get_by_name_label', srName);
    return client.call<string>('VDI.create', {
      name_label: 'driver',
      SR: sr,
      virtual_size: size,
      type: 'user',
      sharable: false,
      read_only: false,
      other_config: {},
    });
  };

  it('imports a stream, exports it back byte for byte (raw and VHD), and surfaces a failed task as XapiError', async () => {
    const vdi = await newDisk(6 * MiB);
    const data = Buffer.alloc(5 * MiB + 7);
    for (let i = 0; i < data.length; i += 997) data[i] = (i % 250) + 1;
    await storage.importVdi(vdi, Readable.from([data.subarray(0, MiB), data.subarray(MiB)]), { length: data.length });
    const raw = await collect(await storage.exportVdi(vdi));
    assert.equal(raw.length, 6 * MiB);
    assert.ok(raw.subarray(0, data.length).equals(data));
    const vhd = await collect(await storage.exportVdi(vdi, { format: 'vhd' }));
    assert.equal(vhd.toString('latin1', 0, 8), 'conectix');
    const copy = await newDisk(6 * MiB, 'Shared storage');
    await storage.importVdi(copy, Readable.from([vhd]), { format: 'vhd', length: vhd.length });
    assert.ok((await collect(await storage.exportVdi(copy))).equals(raw), 'the VHD carried the same disk');
    await assert.rejects(
      storage.importVdi(vdi, Readable.from([Buffer.alloc(8 * MiB, 1)]), { length: 8 * MiB }),
      (e: unknown) => e instanceof XapiError && e.code === 'VDI_IO_ERROR',
    );
    await assert.rejects(
      storage.importVdi(vdi, Readable.from([Buffer.alloc(1)]), { length: 1, format: 'qcow9' as never }),
      (e: unknown) => e instanceof XapiError && e.code === 'INTERNAL_ERROR' && /Unknown format/.test(e.params[0] ?? ''),
    );
    const tasks = await client.call<Record<string, { name_label: string }>>('task.get_all_records');
    assert.deepEqual(
      Object.values(tasks).filter((t) => t.name_label.startsWith('xenplane ')),
      [],
      'every transfer task destroyed',
    );
  });

  it('snapshots, reverts and copies: VIFs come back with new refs, a delta copy lands into a VDI', async () => {
    const { ref: vm } = await provision(pool, {
      template: 'Debian Bookworm 12',
      nameLabel: 'snap-me',
      otherConfig: {},
      memoryBytes: 1024 * MiB,
      vcpus: 1,
    });
    const net = (await client.call<string[]>('network.get_by_name_label', 'Pool-wide network associated with eth0'))[0];
    const vif = await pool.ensureVif(vm, { device: 0, networkUuid: await client.call<string>('network.get_uuid', net), mac: '' });
    const snap = await storage.snapshotVm(vm, 'nightly');
    assert.deepEqual(
      (await storage.listSnapshots(vm)).map((x) => [x.ref, x.name, x.powerState]),
      [[snap.ref, 'nightly', 'Halted']],
    );
    await pool.resizeVm(vm, { vcpus: 2, memoryBytes: 2048 * MiB });
    await storage.revertVm(snap.ref);
    const after = await pool.getVm(vm);
    assert.deepEqual([after.VCPUs_max, after.memory_static_max], [1, 1024 * MiB]);
    assert.equal(after.VIFs.length, 1);
    assert.notEqual(after.VIFs[0], vif);
    await pool.startVm(vm);
    const cp = await storage.checkpointVm(vm, 'live');
    assert.equal((await pool.getVm(cp.ref)).power_state, 'Suspended');
    assert.equal((await pool.getVm(vm)).power_state, 'Running');

    const src = await newDisk(4 * MiB);
    await storage.importVdi(src, Readable.from([Buffer.alloc(MiB, 9)]), { length: MiB });
    const base = await storage.snapshotVdi(src);
    const backup = await storage.copyVdi(base.ref, { srRef: (await client.call<string[]>('SR.get_by_name_label', 'Shared storage'))[0] });
    await storage.importVdi(src, Readable.from([Buffer.alloc(MiB, 5)]), { length: MiB });
    const into = await storage.copyVdi(src, { intoRef: backup.ref, baseRef: base.ref });
    assert.equal(into.ref, backup.ref);
    const got = await collect(await storage.exportVdi(backup.ref));
    assert.ok(got.subarray(0, MiB).every((b) => b === 5) && got.subarray(MiB).every((b) => b === 0));
    assert.ok((await storage.cloneVdi(src)).ref.startsWith('OpaqueRef:'));
  });

  it('VBDs: create, hot-plug, CD insert/eject, allowed devices, guest networks; a refusing guest and missing tools', async () => {
    const { ref: vm, uuid } = await provision(pool, {
      template: 'Debian Bookworm 12',
      nameLabel: 'devices',
      otherConfig: {},
      memoryBytes: 1024 * MiB,
      vcpus: 1,
      xenstoreData: { 'vm-data/ip0': '10.9.0.2/24' },
    });
    const net = (await client.call<string[]>('network.get_by_name_label', 'Pool-wide network associated with eth0'))[0];
    await pool.ensureVif(vm, { device: 0, networkUuid: await client.call<string>('network.get_uuid', net), mac: '' });
    assert.equal(await storage.guestMetrics(vm), null, 'no guest metrics while halted');
    const cd = await storage.createVbd({ vmRef: vm, vdiRef: null, type: 'CD', userdevice: '3' });
    await pool.startVm(vm);
    const gm = await storage.guestMetrics(vm);
    assert.deepEqual(gm?.networks, { '0/ip': '10.9.0.2', '0/ipv4/0': '10.9.0.2' });
    assert.deepEqual(gm?.addresses, { 0: { ipv4: ['10.9.0.2'], ipv6: [] } });
    assert.equal(gm?.pvDriversDetected, true);
    const disk = await storage.createVbd({ vmRef: vm, vdiRef: await newDisk(MiB), userdevice: '1' });
    await storage.plugVbd(disk.ref);
    await storage.insertCd(cd.ref, await newDisk(MiB));
    await assert.rejects(storage.insertCd(cd.ref, await newDisk(MiB)), (e: unknown) => e instanceof XapiError && e.code === 'VBD_NOT_EMPTY');
    await storage.ejectCd(cd.ref);
    assert.ok(!(await storage.allowedVbdDevices(vm)).includes('1'));
    assert.equal((await pool.allowedVifDevices(vm))[0], '1');
    await simControl(sim, `/sim/vms/${uuid}/guest-tools`, { refuseDetach: true });
    await assert.rejects(storage.unplugVbd(disk.ref), (e: unknown) => e instanceof XapiError && e.code === 'DEVICE_DETACH_REJECTED');
    await storage.unplugVbd(disk.ref, { force: true });
    await simControl(sim, `/sim/vms/${uuid}/guest-tools`, { present: false, refuseDetach: false });
    assert.equal(await storage.guestMetrics(vm), null);
    await assert.rejects(storage.plugVbd(disk.ref), (e: unknown) => e instanceof XapiError && e.code === 'VM_MISSING_PV_DRIVERS');
  });
});
