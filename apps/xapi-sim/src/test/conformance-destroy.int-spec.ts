// Conformance: VM.destroy removes every device of the VM, as xapi's does.
// Authority: xapi ocaml/xapi/xapi_vm_helpers.ml `destroy` (VBDs and VIFs with their metrics, VGPUs, VUSBs,
// VM_metrics, VM_guest_metrics) and ocaml/xapi/xapi_vm.ml `destroy` (VTPMs); network.destroy then succeeds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { login, newVm, transports, type Transport } from '../testing/xapi-test-client.js';

for (const [wire, connect] of transports) {
  describe(`conformance (${wire}): VM.destroy leaves no device behind (xapi_vm_helpers.ml destroy)`, () => {
    let sim: Simulator;
    let t: Transport;
    let s: string;
    before(async () => {
      sim = await startSimulator();
      t = connect(sim.url);
      s = await login(t);
    });
    after(() => sim.close());

    // Several of each, so a loop unlinking from the set it iterates would skip every other one.
    async function vmWithDevices(name: string, network: string, count: number): Promise<string> {
      const vm = await newVm(t, s, name);
      const [sr] = await t.call('SR.get_all', s);
      for (let i = 0; i < count; i++) {
        await t.call('VIF.create', s, { device: String(i), network, VM: vm, MAC: '', MTU: 0, other_config: {}, qos_algorithm_type: '', qos_algorithm_params: {} });
        const vdi = await t.call('VDI.create', s, { name_label: `${name}-d${i}`, SR: sr, virtual_size: 1024 ** 2, type: 'user', sharable: false, read_only: false, other_config: {} });
        await t.call('VBD.create', s, { VM: vm, VDI: vdi, userdevice: String(i + 1), bootable: false, mode: 'RW', type: 'Disk', unpluggable: true, empty: false, other_config: {}, qos_algorithm_type: '', qos_algorithm_params: {} });
      }
      return vm;
    }

    it('destroys all of a halted VM\'s VIFs and VBDs, so network.destroy succeeds', async () => {
      const network = await t.call('network.create', s, { name_label: 'doomed', name_description: '', MTU: 1500, other_config: {} });
      const vm = await vmWithDevices('many-devices', network, 5);
      const rec = await t.call('VM.get_record', s, vm);
      assert.equal(rec.VIFs.length, 5);
      assert.equal(rec.VBDs.length, 6);
      await t.call('VM.destroy', s, vm);
      const naming = async (cls: string) => Object.values(await t.call(`${cls}.get_all_records`, s) as Record<string, any>).filter((r) => r.VM === vm);
      assert.deepEqual(await naming('VIF'), []);
      assert.deepEqual(await naming('VBD'), []);
      assert.deepEqual(await t.call('network.get_VIFs', s, network), []);
      assert.equal((await t.call('VM_metrics.get_all', s)).includes(rec.metrics), false, 'VM_metrics destroyed');
      await t.call('network.destroy', s, network);
    });

    it('destroys a VM after it ran (guest metrics and devices go with it)', async () => {
      const [network] = await t.call('network.get_by_name_label', s, 'Pool-wide network associated with eth0');
      const vm = await vmWithDevices('ran-once', network, 3);
      await t.call('VM.start', s, vm, false, false);
      const guest = await t.call('VM.get_guest_metrics', s, vm);
      await t.call('VM.hard_shutdown', s, vm);
      await t.call('VM.destroy', s, vm);
      const vifs = Object.values(await t.call('VIF.get_all_records', s) as Record<string, any>);
      assert.deepEqual(vifs.filter((v) => v.VM === vm), []);
      assert.equal((await t.call('VM_guest_metrics.get_all', s)).includes(guest), false);
    });
  });
}
