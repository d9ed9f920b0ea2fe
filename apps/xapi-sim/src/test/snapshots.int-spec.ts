import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { JsonRpc, XmlRpc, login, templateRef, xapiError, type Transport } from '../testing/xapi-test-client.js';

const MiB = 1024 ** 2;
const num = (v: unknown) => Number(v); // ints arrive as strings over XML-RPC

async function smallVm(t: Transport, s: string, name: string): Promise<{ vm: string; vdi: string }> {
  const vm = await t.call('VM.clone', s, await templateRef(t, s), name);
  await t.call('VM.provision', s, vm);
  const [vbd] = await t.call('VM.get_VBDs', s, vm);
  return { vm, vdi: await t.call('VBD.get_VDI', s, vbd) };
}

for (const wire of ['json', 'xml'] as const) {
  describe(`conformance (${wire}): snapshots as xapi makes them`, () => {
    let sim: Simulator;
    let t: Transport;
    let s: string;
    let net: string;
    before(async () => {
      sim = await startSimulator();
      t = wire === 'json' ? new JsonRpc(sim.url) : new XmlRpc(sim.url);
      s = await login(t);
      [net] = await t.call('network.get_by_name_label', s, 'Pool-wide network associated with eth0');
    });
    after(() => sim?.close());

    // ocaml/xapi/xapi_vm_clone.ml copy_vm_record, clone (Disk_op_snapshot); xapi_vm_lifecycle.ml check_snapshot
    it('VM.snapshot: a Halted template record with is_a_snapshot, snapshot_of, snapshot_time, VDI snapshots and the source listing it', async () => {
      const { vm, vdi } = await smallVm(t, s, `snap-src-${wire}`);
      await t.call('VIF.create', s, {
        VM: vm,
        network: net,
        device: '0',
        MAC: '',
        MTU: 1500,
        other_config: {},
        qos_algorithm_type: '',
        qos_algorithm_params: {},
      });
      await t.call('VM.start', s, vm, false, false);
      const snap = await t.call('VM.snapshot', s, vm, 'before-upgrade', []);
      const r = await t.call('VM.get_record', s, snap);
      assert.deepEqual([r.is_a_snapshot, r.is_a_template, r.snapshot_of, r.power_state, r.name_label], [true, true, vm, 'Halted', 'before-upgrade']);
      assert.match(r.snapshot_time, /^\d{8}T\d{2}:\d{2}:\d{2}Z$/);
      assert.notEqual(r.snapshot_time, '19700101T00:00:00Z');
      assert.deepEqual(r.snapshot_info, { 'disk-snapshot-type': 'crash_consistent', 'power-state-at-snapshot': 'Running' });
      assert.match(r.snapshot_metadata, /^\(\('uuid' '[0-9a-f-]{36}'\)/, 'the record at snapshot time, as Helpers.vm_to_string writes it');
      // check_snapshot's list, as update_allowed_operations folds it (metadata_export included; hard_shutdown needs a domain)
      assert.deepEqual([...r.allowed_operations].sort(), ['clone', 'copy', 'destroy', 'export', 'metadata_export', 'revert']);
      assert.deepEqual(await t.call('VM.get_snapshots', s, vm), [snap]);
      assert.equal(await t.call('VM.get_parent', s, vm), snap, 'the source now descends from its snapshot');
      assert.equal(await t.call('VM.get_power_state', s, vm), 'Running');
      const [svbd] = r.VBDs;
      const sv = await t.call('VDI.get_record', s, await t.call('VBD.get_VDI', s, svbd));
      assert.deepEqual([sv.is_a_snapshot, sv.snapshot_of, num(sv.virtual_size)], [true, vdi, num(await t.call('VDI.get_virtual_size', s, vdi))]);
      assert.deepEqual(await t.call('VDI.get_snapshots', s, vdi), [await t.call('VBD.get_VDI', s, svbd)]);
      assert.equal(await t.call('VBD.get_currently_attached', s, svbd), false, 'a Halted snapshot has its devices detached');
      assert.equal((await t.call('VBD.get_other_config', s, svbd)).owner, '', 'CA-58405: the snapshot owns its disks');
      const [svif] = r.VIFs;
      const [vif] = await t.call('VM.get_VIFs', s, vm);
      assert.equal(await t.call('VIF.get_MAC', s, svif), await t.call('VIF.get_MAC', s, vif), 'snapshots keep the MACs');
      const gm = r.guest_metrics;
      assert.notEqual(gm, await t.call('VM.get_guest_metrics', s, vm), 'a copy of the guest metrics');
      assert.deepEqual((await t.call('VM_guest_metrics.get_record', s, gm)).os_version.distro, 'debian');
      // ocaml/xapi/xapi_vm_lifecycle.ml check_snapshot: a snapshot cannot be started
      const e = await xapiError(() => t.call('VM.snapshot', s, snap, 'again', []));
      assert.deepEqual([e.code, ...e.params], ['VM_IS_SNAPSHOT', snap, 'snapshot']);
      const template = await templateRef(t, s);
      const tpl = await xapiError(() => t.call('VM.snapshot', s, template, 'x', []));
      assert.deepEqual([tpl.code, tpl.params[1]], ['VM_IS_TEMPLATE', 'snapshot']);
      assert.ok((await t.call('VM.get_allowed_operations', s, vm)).includes('checkpoint'), 'a running VM can checkpoint');
      // VM.destroy of a snapshot: its disks stay (xapi_vm.ml destroy), the source's parent is rebased
      await t.call('VM.destroy', s, snap);
      assert.deepEqual(await t.call('VM.get_snapshots', s, vm), []);
      assert.equal(await t.call('VM.get_parent', s, vm), 'OpaqueRef:NULL');
      assert.equal(await t.call('VDI.get_is_a_snapshot', s, await t.call('VDI.get_by_uuid', s, sv.uuid)), true, 'its disks stay');
      await t.call('VM.hard_shutdown', s, vm);
    });

    // ocaml/xapi/xapi_vm_snapshot.ml revert, revert_vm_fields, revert_vbds, update_vifs_vbds_vgpus_and_vusbs
    it('VM.revert: memory and VCPUs come back, VIFs are re-created with new refs and the same MACs, disks become clones', async () => {
      const { vm, vdi } = await smallVm(t, s, `revert-${wire}`);
      const vif = await t.call('VIF.create', s, {
        VM: vm,
        network: net,
        device: '0',
        MAC: '',
        MTU: 1500,
        other_config: {},
        qos_algorithm_type: '',
        qos_algorithm_params: {},
      });
      const mac = await t.call('VIF.get_MAC', s, vif);
      const snap = await t.call('VM.snapshot', s, vm, 'base', []);
      const snapVdi = await t.call('VBD.get_VDI', s, (await t.call('VM.get_VBDs', s, snap))[0]);
      await t.call('VM.set_memory_limits', s, vm, 256 * MiB, 2048 * MiB, 2048 * MiB, 2048 * MiB);
      await t.call('VM.set_VCPUs_max', s, vm, 4);
      await t.call('VM.set_VCPUs_at_startup', s, vm, 4);
      await t.call('VM.start', s, vm, false, false);
      await t.call('VM.revert', s, snap);
      const r = await t.call('VM.get_record', s, vm);
      assert.deepEqual([num(r.memory_static_max), num(r.VCPUs_max), num(r.VCPUs_at_startup), r.power_state], [1024 * MiB, 1, 1, 'Halted']);
      assert.equal(r.VIFs.length, 1);
      assert.notEqual(r.VIFs[0], vif, 'a new VIF ref');
      assert.equal((await xapiError(() => t.call('VIF.get_record', s, vif))).code, 'HANDLE_INVALID');
      assert.equal(await t.call('VIF.get_MAC', s, r.VIFs[0]), mac);
      const disk = await t.call('VBD.get_VDI', s, r.VBDs[0]);
      assert.notEqual(disk, vdi);
      assert.equal((await xapiError(() => t.call('VDI.get_record', s, vdi))).code, 'HANDLE_INVALID', 'the reverted-away disk is gone');
      assert.equal(await t.call('VDI.get_snapshot_of', s, snapVdi), disk, 'the snapshot now hangs off the new disk');
      assert.equal(r.parent, snap);
      assert.equal(r.is_a_snapshot, false);
      const e = await xapiError(() => t.call('VM.revert', s, vm));
      assert.deepEqual([e.code, ...e.params], ['ONLY_REVERT_SNAPSHOT']);
    });

    // ocaml/xapi/xapi_vm_snapshot.ml revert: on failure Xapi_vm_lifecycle.force_state_reset ~value:`Halted, and any
    // error but SR_BACKEND_FAILURE_44/_109 or VDI_INCOMPATIBLE_TYPE becomes VM_REVERT_FAILED [snapshot; vm]
    it('VM.revert that cannot clone the snapshot disk: VM_REVERT_FAILED [snapshot, vm], the VM Halted with the fields already copied', async () => {
      const { vm, vdi } = await smallVm(t, s, `revert-fail-${wire}`);
      const snap = await t.call('VM.snapshot', s, vm, 'base', []);
      const sr = await t.call('VDI.get_SR', s, vdi);
      await t.call('VM.set_VCPUs_max', s, vm, 2);
      await t.call('VM.set_VCPUs_at_startup', s, vm, 2);
      // The VM's own disk goes (the revert frees nothing) and the SR fills up: the snapshot's disk cannot be cloned.
      await t.call('VDI.destroy', s, vdi);
      const free = num(await t.call('SR.get_physical_size', s, sr)) - num(await t.call('SR.get_physical_utilisation', s, sr));
      const filler = await t.call('VDI.create', s, {
        name_label: 'filler',
        SR: sr,
        virtual_size: free,
        type: 'user',
        sharable: false,
        read_only: false,
        other_config: {},
      });
      const e = await xapiError(() => t.call('VM.revert', s, snap));
      assert.deepEqual([e.code, ...e.params], ['VM_REVERT_FAILED', snap, vm]);
      assert.equal(await t.call('VM.get_power_state', s, vm), 'Halted');
      assert.equal(num(await t.call('VM.get_VCPUs_at_startup', s, vm)), 1, 'revert_vm_fields ran before the disks');
      assert.equal(await t.call('VM.get_is_a_snapshot', s, snap), true, 'the snapshot is intact');
      await t.call('VDI.destroy', s, filler);
      await t.call('VM.revert', s, snap);
      const disks = await Promise.all((await t.call('VM.get_VBDs', s, vm)).map((r: string) => t.call('VBD.get_type', s, r)));
      assert.deepEqual(disks, ['Disk'], 'reverting again, with room, brings the disk back');
    });

    // ocaml/xapi/xapi_vm_snapshot.ml checkpoint, xapi_vm_clone.ml (Disk_op_checkpoint), xapi_xenops.ml suspend
    it('VM.checkpoint of a running VM: it keeps running, the snapshot is Suspended with a suspend image; revert brings that state back', async () => {
      const { vm } = await smallVm(t, s, `cp-${wire}`);
      await t.call('VM.start', s, vm, false, false);
      const domid = num(await t.call('VM.get_domid', s, vm));
      const cp = await t.call('VM.checkpoint', s, vm, 'live');
      const r = await t.call('VM.get_record', s, cp);
      assert.deepEqual([r.power_state, r.is_a_snapshot, r.snapshot_info['power-state-at-snapshot']], ['Suspended', true, 'Running']);
      const img = await t.call('VDI.get_record', s, r.suspend_VDI);
      assert.deepEqual([img.type, img.is_a_snapshot], ['suspend', true]);
      assert.equal(num(img.virtual_size), Math.floor(1024 * MiB * 1.2 * 1.05) + 100 * MiB);
      assert.equal(await t.call('VM.get_power_state', s, vm), 'Running');
      assert.notEqual(num(await t.call('VM.get_domid', s, vm)), domid, 'suspend and resume made a new domain');
      assert.equal(await t.call('VM.get_suspend_VDI', s, vm), 'OpaqueRef:NULL', "the VM's own suspend image went with the resume");
      assert.ok(r.allowed_operations.includes('hard_shutdown'));
      await t.call('VM.revert', s, cp);
      assert.equal(await t.call('VM.get_power_state', s, vm), 'Suspended');
      const image = await t.call('VM.get_suspend_VDI', s, vm);
      assert.equal(await t.call('VDI.get_type', s, image), 'suspend');
      await t.call('VM.resume', s, vm, false, false);
      assert.equal(await t.call('VM.get_power_state', s, vm), 'Running');
      assert.equal((await xapiError(() => t.call('VDI.get_record', s, image))).code, 'HANDLE_INVALID', 'resume drops the image');
      await t.call('VM.destroy', s, cp).catch(() => undefined);
    });

    // ocaml/xapi/xapi_vdi.ml snapshot_and_clone, copy; sm_fs_ops.ml copy_vdi
    it('VDI.snapshot, VDI.clone and VDI.copy to another SR, into a VDI, and its errors', async () => {
      const [lvm] = await t.call('SR.get_by_name_label', s, 'Shared storage');
      const [nfs] = await t.call('SR.get_by_name_label', s, 'NFS storage');
      const vdi = await t.call('VDI.create', s, {
        name_label: 'data',
        name_description: 'd',
        SR: lvm,
        virtual_size: 8 * MiB,
        type: 'user',
        sharable: false,
        read_only: false,
        other_config: { k: 'v' },
        tags: ['t'],
      });
      const sn = await t.call('VDI.snapshot', s, vdi, {});
      const snr = await t.call('VDI.get_record', s, sn);
      assert.deepEqual([snr.is_a_snapshot, snr.snapshot_of, snr.name_label, snr.other_config, snr.tags], [true, vdi, 'data', { k: 'v' }, ['t']]);
      const cl = await t.call('VDI.clone', s, sn, {});
      assert.deepEqual([await t.call('VDI.get_is_a_snapshot', s, cl), await t.call('VDI.get_snapshot_of', s, cl)], [false, 'OpaqueRef:NULL']);
      const cp = await t.call('VDI.copy', s, vdi, nfs, 'OpaqueRef:NULL', 'OpaqueRef:NULL');
      assert.deepEqual(
        [
          await t.call('VDI.get_SR', s, cp),
          num(await t.call('VDI.get_virtual_size', s, cp)),
          num(await t.call('VDI.get_physical_utilisation', s, cp)),
        ],
        [nfs, 8 * MiB, 0],
      );
      const into = await t.call('VDI.copy', s, vdi, 'OpaqueRef:NULL', 'OpaqueRef:NULL', cp);
      assert.equal(into, cp, 'into_vdi is written, not a new VDI');
      const small = await t.call('VDI.create', s, {
        name_label: 's',
        SR: nfs,
        virtual_size: MiB,
        type: 'user',
        sharable: false,
        read_only: false,
        other_config: {},
      });
      const tooSmall = await xapiError(() => t.call('VDI.copy', s, vdi, 'OpaqueRef:NULL', 'OpaqueRef:NULL', small));
      assert.deepEqual([tooSmall.code, ...tooSmall.params], ['VDI_TOO_SMALL', small, String(8 * MiB)]);
      const shared = await t.call('VDI.create', s, {
        name_label: 'sh',
        SR: lvm,
        virtual_size: MiB,
        type: 'user',
        sharable: true,
        read_only: false,
        other_config: {},
      });
      const sharable = await xapiError(() => t.call('VDI.snapshot', s, shared, {}));
      assert.deepEqual([sharable.code, ...sharable.params], ['VDI_IS_SHARABLE', shared]);
      assert.deepEqual(await t.call('VDI.get_snapshots', s, vdi), [sn]);
    });
  });
}
