import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { JsonRpc, XmlRpc, control, login, templateRef, xapiError, type Transport } from '../testing/xapi-test-client.js';

const MiB = 1024 ** 2;

for (const wire of ['json', 'xml'] as const) {
  describe(`conformance (${wire}): VBDs, hot-plug and guest metrics as xapi has them`, () => {
    let sim: Simulator;
    let t: Transport;
    let s: string;
    let vm: string;
    let uuid: string;
    let sr: string;
    const err = async (p: () => Promise<unknown>) => {
      const e = await xapiError(p);
      return [e.code, ...e.params];
    };
    const disk = (size = MiB) =>
      t.call('VDI.create', s, { name_label: 'extra', SR: sr, virtual_size: size, type: 'user', sharable: false, read_only: false, other_config: {} });
    const vbd = (fields: Record<string, unknown>) =>
      t.call('VBD.create', s, {
        VM: vm,
        userdevice: 'autodetect',
        bootable: false,
        mode: 'RW',
        type: 'Disk',
        unpluggable: true,
        empty: false,
        other_config: {},
        qos_algorithm_type: '',
        qos_algorithm_params: {},
        ...fields,
      });
    before(async () => {
      sim = await startSimulator();
      t = wire === 'json' ? new JsonRpc(sim.url) : new XmlRpc(sim.url);
      s = await login(t);
      vm = await t.call('VM.clone', s, await templateRef(t, s), `hotplug-${wire}`);
      await t.call('VM.provision', s, vm);
      uuid = await t.call('VM.get_uuid', s, vm);
      [sr] = await t.call('SR.get_by_name_label', s, 'Shared storage');
      const [net] = await t.call('network.get_by_name_label', s, 'Pool-wide network associated with eth0');
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
      await t.call('VM.add_to_xenstore_data', s, vm, 'vm-data/ip0', '10.1.0.5/24, 10.1.0.6/24, fd00::5/64');
    });
    after(() => sim?.close());

    // ocaml/xapi/xapi_vbd.ml create, insert, eject; xapi_vbd_helpers.ml valid_operations
    it('CD drives: empty, insert and eject with VBD_NOT_EMPTY / VBD_IS_EMPTY / VBD_NOT_REMOVABLE_MEDIA; constructor rules', async () => {
      const iso = await disk();
      assert.deepEqual(await err(() => vbd({ VDI: 'OpaqueRef:NULL', type: 'CD', mode: 'RW', empty: true })), ['VBD_CDS_MUST_BE_READONLY']);
      assert.deepEqual(await err(() => vbd({ VDI: 'OpaqueRef:NULL', empty: true })), ['VBD_NOT_REMOVABLE_MEDIA', 'in constructor']);
      assert.deepEqual(await err(() => vbd({ VDI: iso, userdevice: 'fish' })), ['INVALID_DEVICE', 'fish']);
      assert.deepEqual(await err(() => vbd({ VDI: iso, userdevice: 'xvda' })), ['DEVICE_ALREADY_EXISTS', 'xvda'], 'xvda is disk 0, taken');
      const cd = await vbd({ VDI: 'OpaqueRef:NULL', type: 'CD', mode: 'RO', empty: true, userdevice: '3' });
      assert.deepEqual(await err(() => t.call('VBD.eject', s, cd)), ['VBD_IS_EMPTY', cd]);
      await t.call('VBD.insert', s, cd, iso);
      assert.deepEqual([await t.call('VBD.get_empty', s, cd), await t.call('VBD.get_VDI', s, cd)], [false, iso]);
      assert.deepEqual(await err(() => t.call('VBD.insert', s, cd, iso)), ['VBD_NOT_EMPTY', cd]);
      const [root] = await t.call('VM.get_VBDs', s, vm);
      assert.deepEqual(await err(() => t.call('VBD.eject', s, root)), ['VBD_NOT_REMOVABLE_MEDIA', root]);
      await t.call('VBD.eject', s, cd);
      assert.deepEqual([await t.call('VBD.get_empty', s, cd), await t.call('VBD.get_VDI', s, cd)], [true, 'OpaqueRef:NULL']);
      // xapi_vm_helpers.ml allowed_VBD_devices / allowed_VIF_devices: 0..254 and 0..15 minus those in use
      const vbdDevs: string[] = await t.call('VM.get_allowed_VBD_devices', s, vm);
      assert.deepEqual([vbdDevs.length, vbdDevs[0], vbdDevs.includes('3'), vbdDevs.at(-1)], [253, '1', false, '254']);
      assert.deepEqual(
        await t.call('VM.get_allowed_VIF_devices', s, vm),
        Array.from({ length: 15 }, (_, i) => String(i + 1)),
      );
      await t.call('VBD.destroy', s, cd);
    });

    // ocaml/xapi/xapi_guest_agent.ml networks, get_initial_guest_metrics; xapi_vm_helpers.ml
    it('guest metrics: the addresses the guest configured under 0/ip, 0/ipv4/N, 0/ipv6/N, and what Linux tools report', async () => {
      await t.call('VM.start', s, vm, false, false);
      const gm = await t.call('VM_guest_metrics.get_record', s, await t.call('VM.get_guest_metrics', s, vm));
      assert.deepEqual(gm.networks, { '0/ip': '10.1.0.5', '0/ipv4/0': '10.1.0.5', '0/ipv4/1': '10.1.0.6', '0/ipv6/0': 'fd00::5' });
      assert.deepEqual([gm.PV_drivers_detected, gm.PV_drivers_up_to_date, gm.live], [true, true, true]);
      assert.deepEqual(gm.PV_drivers_version, { major: '7', minor: '30', micro: '0', build: '1' });
      assert.deepEqual([gm.os_version.distro, gm.os_version.major], ['debian', '12']);
      assert.deepEqual([gm.can_use_hotplug_vbd, gm.can_use_hotplug_vif], ['unspecified', 'unspecified']);
      assert.equal(gm.other['feature-shutdown'], '1');
    });

    // xapi_vbd_helpers.ml valid_operations (hot-plug, unpluggable), xapi_vbd.ml plug (CA-83260), xapi_xenops.ml vbd_unplug
    it('hot-plug on a running HVM guest needs its tools; VBD_NOT_UNPLUGGABLE; DEVICE_DETACH_REJECTED from a refusing guest', async () => {
      const extra = await vbd({ VDI: await disk(), userdevice: '1' });
      await t.call('VBD.plug', s, extra);
      assert.deepEqual([await t.call('VBD.get_currently_attached', s, extra), await t.call('VBD.get_device', s, extra)], [true, 'xvdb']);
      assert.deepEqual(await err(() => t.call('VBD.plug', s, extra)), ['DEVICE_ALREADY_ATTACHED', extra]);
      assert.equal((await control(sim.url, `vms/${uuid}/guest-tools`, { refuseDetach: true })).status, 200);
      assert.deepEqual(await err(() => t.call('VBD.unplug', s, extra)), ['DEVICE_DETACH_REJECTED', 'VBD', extra, '']);
      assert.equal(await t.call('VBD.get_currently_attached', s, extra), true);
      await t.call('VBD.unplug_force', s, extra);
      await control(sim.url, `vms/${uuid}/guest-tools`, { refuseDetach: false });
      const [root] = await t.call('VM.get_VBDs', s, vm);
      assert.deepEqual(await err(() => t.call('VBD.unplug', s, root)), ['VBD_NOT_UNPLUGGABLE', root], 'provisioned disks are not unpluggable');
      const ro = await vbd({ VDI: await disk(), userdevice: '2', mode: 'RO' });
      assert.deepEqual(await err(() => t.call('VBD.plug', s, ro)), ['DISK_VBD_MUST_BE_READWRITE_FOR_HVM', ro]);
      // no tools: no guest metrics, so no hot-plug (Xapi_pv_driver_version.make_error_opt)
      const off = await control(sim.url, `vms/${uuid}/guest-tools`, { present: false });
      assert.equal(off.body.guest_metrics, 'OpaqueRef:NULL');
      assert.deepEqual(await err(() => t.call('VBD.plug', s, extra)), ['VM_MISSING_PV_DRIVERS', vm]);
      const [vif] = await t.call('VM.get_VIFs', s, vm);
      assert.deepEqual(await err(() => t.call('VIF.unplug', s, vif)), ['VM_MISSING_PV_DRIVERS', vm]);
      assert.ok(!(await t.call('VBD.get_allowed_operations', s, extra)).includes('plug'));
      await control(sim.url, `vms/${uuid}/guest-tools`, { present: true, hotplugVif: 'no' });
      assert.deepEqual(await err(() => t.call('VIF.unplug', s, vif)), ['OPERATION_NOT_ALLOWED', 'VM states it does not support VIF hotplug.']);
      await control(sim.url, `vms/${uuid}/guest-tools`, { hotplugVif: 'yes' });
      await t.call('VIF.unplug', s, vif);
      await t.call('VIF.plug', s, vif);
      assert.ok((await t.call('VBD.get_allowed_operations', s, extra)).includes('plug'));
      await t.call('VM.hard_shutdown', s, vm);
      assert.deepEqual(await err(() => t.call('VBD.plug', s, extra)), ['VM_BAD_POWER_STATE', vm, 'running', 'halted']);
      await t.call('VBD.set_mode', s, ro, 'RW');
      assert.equal(await t.call('VBD.get_mode', s, ro), 'RW');
    });
  });
}
