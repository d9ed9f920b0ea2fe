import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XapiError } from '../errors/xapi-error.js';
import type { XapiClient } from '../client/xapi-client.js';
import type { XapiWatchEvent } from '../events/event-watcher.js';
import { eventually, simControl } from '@xenplane/testing';
import { simClient, startSim, type SimProcess } from '../testing/sim-control.js';
import { XapiPool } from './xapi-pool.js';
import { provision } from '../testing/provision.js';

const GiB = 1024 ** 3;

describe('XapiPool against the simulator', () => {
  let sim: SimProcess;
  let client: XapiClient;
  let pool: XapiPool;
  before(async () => {
    sim = await startSim();
    client = simClient(sim);
    pool = new XapiPool(client);
  });
  after(async () => {
    await client?.close();
    await sim?.stop();
  });

  it('pings and lists host capacity', async () => {
    await pool.ping();
    const hosts = await pool.listHosts();
    assert.equal(hosts.length, 2);
    for (const h of hosts) {
      assert.match(h.ref, /^OpaqueRef:/);
      assert.ok(h.memoryTotal > 0 && h.memoryFree > 0 && h.memoryFree <= h.memoryTotal, JSON.stringify(h));
      assert.ok(h.cpuCount > 0);
    }
    const placed = await pool.placeVm(GiB);
    assert.ok(placed && hosts.some((h) => h.ref === placed.ref));
    assert.equal(await pool.placeVm(Number.MAX_SAFE_INTEGER), null);
  });

  it('provisions, starts, stops and destroys a VM, leaving no VM and no VDI of ours', async () => {
    const vdisBefore = Object.keys(await client.call<Record<string, unknown>>('VDI.get_all_records')).sort();
    const { ref, uuid } = await provision(pool, {
      template: 'Debian Bookworm 12',
      nameLabel: 'tenant-a-vm1',
      otherConfig: { 'xenplane:vm-id': 'vm-1' },
      tags: ['xenplane', 'tenant:a'],
      memoryBytes: 2 * GiB,
      vcpus: 2,
      xenstoreData: { 'vm-data/ip0': '10.1.0.5/24' },
    });
    const vm = await pool.getVm(ref);
    assert.equal(vm.uuid, uuid);
    assert.equal(vm.name_label, 'tenant-a-vm1');
    assert.equal(vm.is_a_template, false);
    assert.equal(vm.power_state, 'Halted');
    assert.equal(vm.other_config['xenplane:vm-id'], 'vm-1');
    assert.deepEqual([vm.memory_static_max, vm.memory_dynamic_min, vm.memory_dynamic_max], [2 * GiB, 2 * GiB, 2 * GiB]);
    assert.deepEqual([vm.VCPUs_max, vm.VCPUs_at_startup], [2, 2]);
    assert.ok(vm.tags.includes('tenant:a'));
    assert.equal(vm.xenstore_data['vm-data/ip0'], '10.1.0.5/24');
    assert.ok(vm.VBDs.length > 0, 'provision created the template disks');

    assert.deepEqual(await pool.findVmByOtherConfig('xenplane:vm-id', 'vm-1'), { ref, uuid });
    assert.equal(await pool.findVmByOtherConfig('xenplane:vm-id', 'nope'), null);
    assert.equal((await pool.getVmByUuid(uuid))?.ref, ref);

    await pool.startVm(ref);
    await pool.startVm(ref); // already running = done
    const running = await pool.getVm(ref);
    assert.equal(running.power_state, 'Running');
    assert.ok(running.resident_on);

    await pool.rebootVm(ref);
    assert.equal((await pool.getVm(ref)).power_state, 'Running');
    await pool.shutdownVm(ref, { cleanTimeoutMs: 10_000 });
    await pool.shutdownVm(ref); // already halted = done
    assert.equal((await pool.getVm(ref)).power_state, 'Halted');

    await pool.startVm(ref);
    await pool.destroyVm(ref); // running: hard shutdown first
    await pool.destroyVm(ref); // already gone = done
    assert.equal(await pool.getVmByUuid(uuid), null);
    assert.equal(await pool.findVmByOtherConfig('xenplane:vm-id', 'vm-1'), null);
    const vdisAfter = Object.keys(await client.call<Record<string, unknown>>('VDI.get_all_records')).sort();
    assert.deepEqual(vdisAfter, vdisBefore);
  });

  it('rejects an unknown template with TEMPLATE_NOT_FOUND', async () => {
    await assert.rejects(
      provision(pool, { template: 'No Such Template', nameLabel: 'x', otherConfig: {}, memoryBytes: GiB, vcpus: 1 }),
      (e: unknown) => e instanceof XapiError && e.code === 'TEMPLATE_NOT_FOUND',
    );
  });

  it('watches events: a sync per class, then add/mod/del of a VM', async () => {
    const seen: XapiWatchEvent[] = [];
    const ctl = new AbortController();
    let synced!: () => void;
    const ready = new Promise<void>((r) => (synced = r));
    const watching = client.watchEvents(
      ['VM'],
      (e) => {
        seen.push(e);
        if (e.kind === 'sync') synced();
      },
      ctl.signal,
      { pollTimeoutS: 5 },
    );
    await ready;
    const { ref } = await provision(pool, {
      template: 'Debian Bookworm 12',
      nameLabel: 'watched',
      otherConfig: { 'xenplane:vm-id': 'w' },
      memoryBytes: GiB,
      vcpus: 1,
    });
    await pool.destroyVm(ref);
    await eventually('the del event', () => Promise.resolve(seen.some((e) => e.kind === 'del' && e.ref === ref)), 10_000);
    ctl.abort();
    await watching;
    const sync = seen.find((e) => e.kind === 'sync');
    assert.ok(sync && sync.kind === 'sync' && sync.class === 'VM' && Object.keys(sync.records).length > 0);
    const mine = seen.filter((e) => e.kind !== 'sync' && e.ref === ref);
    assert.ok(
      mine.some((e) => e.kind === 'add'),
      'add seen',
    );
    assert.ok(
      mine.some((e) => e.kind === 'del'),
      'del seen',
    );
    // XAPI coalesces changes per object, so the snapshot may ride on the add or on a mod
    const changed = mine.find((e) => e.kind !== 'del' && e.kind !== 'sync' && e.snapshot);
    assert.ok(changed && changed.kind !== 'sync' && changed.class === 'VM' && typeof changed.snapshot?.memory_static_max === 'number');
  });

  it('restarts the watch from a fresh sync after EVENTS_LOST', async () => {
    const syncs: number[] = [];
    const errors: unknown[] = [];
    const ctl = new AbortController();
    await simControl(sim, '/sim/faults', { method: 'event.from', code: 'EVENTS_LOST', times: 1 });
    const watching = client.watchEvents(
      ['host'],
      (e) => {
        if (e.kind === 'sync') syncs.push(Object.keys(e.records).length);
        if (syncs.length === 2) ctl.abort();
      },
      ctl.signal,
      { pollTimeoutS: 1, onError: (e) => errors.push(e) },
    );
    const timer = setTimeout(() => ctl.abort(), 10_000);
    await watching;
    clearTimeout(timer);
    await simControl(sim, '/sim/faults/clear');
    assert.deepEqual(syncs, [2, 2]);
    assert.ok(errors.length === 1 && errors[0] instanceof XapiError && errors[0].code === 'EVENTS_LOST');
  });
  it('finds a half-made clone by its marker, and fails rather than missing it when its record cannot be read', async () => {
    const made = await pool.cloneTemplate('Debian Bookworm 12', 'xenplane-marker-test');
    assert.equal((await pool.findVmByNameLabel('xenplane-marker-test'))?.uuid, made.uuid);
    // a compensation that took "not found" here would leave the clone on the pool for good (faults e2e)
    await simControl(sim, '/sim/faults', { method: 'VM.get_record', code: 'HTTP_500', times: 1 });
    await assert.rejects(pool.findVmByNameLabel('xenplane-marker-test'), /VM.get_record: HTTP 500/);
    await simControl(sim, '/sim/faults/clear');
    await pool.destroyVm(made.ref);
    assert.equal(await pool.findVmByNameLabel('xenplane-marker-test'), null);
  });
});
