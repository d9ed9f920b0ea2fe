// Conformance: VM.destroy removes every device of the VM, as xapi's does.
// Authority: xapi ocaml/xapi/xapi_vm_helpers.ml `destroy` (VBDs and VIFs with their metrics, VGPUs, VUSBs,
// VM_metrics, VM_guest_metrics) and ocaml/xapi/xapi_vm.ml `destroy` (VTPMs); network.destroy then succeeds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simOver } from '../testing/conformance-fixture.js';
import { newVm, transports } from '../testing/xapi-test-client.js';

for (const [wire, connect] of transports) {
  describe(`conformance (${wire}): VM.destroy leaves no device behind (xapi_vm_helpers.ml destroy)`, () => {
    const c = simOver(connect);

    // Several of each, so a loop unlinking from the set it iterates would skip every other one.
    async function vmWithDevices(name: string, network: string, count: number): Promise<string> {
      const vm = await newVm(c.t, c.s, name);
      const [sr] = await c.t.call('SR.get_all', c.s);
      for (let i = 0; i < count; i++) {
        await c.t.call('VIF.create', c.s, {
          device: String(i),
          network,
          VM: vm,
          MAC: '',
          MTU: 0,
          other_config: {},
          qos_algorithm_type: '',
          qos_algorithm_params: {},
        });
        const vdi = await c.t.call('VDI.create', c.s, {
          name_label: `${name}-d${i}`,
          SR: sr,
          virtual_size: 1024 ** 2,
          type: 'user',
          sharable: false,
          read_only: false,
          other_config: {},
        });
        await c.t.call('VBD.create', c.s, {
          VM: vm,
          VDI: vdi,
          userdevice: String(i + 1),
          bootable: false,
          mode: 'RW',
          type: 'Disk',
          unpluggable: true,
          empty: false,
          other_config: {},
          qos_algorithm_type: '',
          qos_algorithm_params: {},
        });
      }
      return vm;
    }

    it("destroys all of a halted VM's VIFs and VBDs, so network.destroy succeeds", async () => {
      const network = await c.t.call('network.create', c.s, { name_label: 'doomed', name_description: '', MTU: 1500, other_config: {} });
      const vm = await vmWithDevices('many-devices', network, 5);
      const rec = await c.t.call('VM.get_record', c.s, vm);
      assert.equal(rec.VIFs.length, 5);
      assert.equal(rec.VBDs.length, 6);
      await c.t.call('VM.destroy', c.s, vm);
      const naming = async (cls: string) =>
        Object.values((await c.t.call(`${cls}.get_all_records`, c.s)) as Record<string, any>).filter((r) => r.VM === vm);
      assert.deepEqual(await naming('VIF'), []);
      assert.deepEqual(await naming('VBD'), []);
      assert.deepEqual(await c.t.call('network.get_VIFs', c.s, network), []);
      assert.equal((await c.t.call('VM_metrics.get_all', c.s)).includes(rec.metrics), false, 'VM_metrics destroyed');
      await c.t.call('network.destroy', c.s, network);
    });

    it('destroys a VM after it ran (guest metrics and devices go with it)', async () => {
      const [network] = await c.t.call('network.get_by_name_label', c.s, 'Pool-wide network associated with eth0');
      const vm = await vmWithDevices('ran-once', network, 3);
      await c.t.call('VM.start', c.s, vm, false, false);
      const guest = await c.t.call('VM.get_guest_metrics', c.s, vm);
      await c.t.call('VM.hard_shutdown', c.s, vm);
      await c.t.call('VM.destroy', c.s, vm);
      const vifs = Object.values((await c.t.call('VIF.get_all_records', c.s)) as Record<string, any>);
      assert.deepEqual(
        vifs.filter((v) => v.VM === vm),
        [],
      );
      assert.equal((await c.t.call('VM_guest_metrics.get_all', c.s)).includes(guest), false);
    });
  });
}
