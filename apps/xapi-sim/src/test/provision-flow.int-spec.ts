import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseValueXml, startSimulator, type Simulator } from '../index.js';
import { JsonRpc, XmlRpc, login, templateRef, waitTask, xapiError } from '../testing/xapi-test-client.js';

const GiB = 1024 ** 3;

describe('provisioning a VM from a template, the way the control plane does', () => {
  let sim: Simulator;
  let json: JsonRpc;
  let xml: XmlRpc;
  let s: string;
  before(async () => {
    sim = await startSimulator();
    json = new JsonRpc(sim.url);
    xml = new XmlRpc(sim.url);
    s = await login(json);
  });
  after(() => sim.close());

  it('clones, provisions, sizes, starts, stops and destroys, leaving the VDI until VDI.destroy', async () => {
    const template = await templateRef(json, s);
    const [pool] = await json.call('pool.get_all', s);
    const sr = await json.call('pool.get_default_SR', s, pool);
    const srBefore = await json.call('SR.get_physical_utilisation', s, sr);

    const vm = await json.call('VM.clone', s, template, 'tenant-a-vm1');
    const cloned = await json.call('VM.get_record', s, vm);
    assert.equal(cloned.is_a_template, true, 'clone keeps is_a_template');
    assert.equal(cloned.other_config.base_template_name, 'Debian Bookworm 12');
    assert.equal(cloned.other_config.default_template, undefined);
    assert.match(cloned.other_config.mac_seed, /^[0-9a-f-]{36}$/);
    assert.equal(cloned.power_state, 'Halted');

    await json.call('VM.provision', s, vm);
    const provisioned = await json.call('VM.get_record', s, vm);
    assert.equal(provisioned.is_a_template, false);
    assert.equal(provisioned.VBDs.length, 1);
    const vbd = await json.call('VBD.get_record', s, provisioned.VBDs[0]);
    const vdi = vbd.VDI;
    assert.equal(await json.call('VDI.get_virtual_size', s, vdi), 10 * GiB);
    assert.equal(await json.call('VDI.get_SR', s, vdi), sr);
    assert.equal(await json.call('SR.get_physical_utilisation', s, sr), srBefore + 10 * GiB);

    await xml.call('VM.set_memory_limits', s, vm, 1 * GiB, 4 * GiB, 2 * GiB, 4 * GiB);
    await json.call('VM.set_VCPUs_max', s, vm, 4);
    await json.call('VM.set_VCPUs_at_startup', s, vm, 4);

    const task = await json.call('Async.VM.start', s, vm, false, false);
    assert.match(task, /^OpaqueRef:/);
    const done = await waitTask(json, s, task);
    assert.equal(done.status, 'success');
    assert.equal(done.name_label, 'Async.VM.start');
    assert.equal(done.result, '<value></value>');
    assert.equal(done.progress, 1);
    assert.notEqual(done.finished, '19700101T00:00:00Z');

    const running = await json.call('VM.get_record', s, vm);
    assert.equal(running.power_state, 'Running');
    assert.ok(sim.state.hostRefs.includes(running.resident_on));
    assert.ok(running.domid > 0);
    const metrics = await json.call('VM_metrics.get_record', s, running.metrics);
    assert.equal(metrics.VCPUs_number, 4);
    assert.equal(metrics.memory_actual, 4 * GiB);
    assert.equal(await json.call('VBD.get_currently_attached', s, provisioned.VBDs[0]), true);
    assert.ok((await json.call('host.get_resident_VMs', s, running.resident_on)).includes(vm));

    await json.call('VM.clean_shutdown', s, vm);
    const halted = await json.call('VM.get_record', s, vm);
    assert.equal(halted.power_state, 'Halted');
    assert.equal(halted.resident_on, 'OpaqueRef:NULL');

    await json.call('VM.destroy', s, vm);
    assert.equal((await xapiError(() => json.call('VM.get_record', s, vm))).code, 'HANDLE_INVALID');
    assert.equal((await xapiError(() => json.call('VBD.get_record', s, provisioned.VBDs[0]))).code, 'HANDLE_INVALID');
    assert.deepEqual(await json.call('VDI.get_VBDs', s, vdi), [], 'the VDI survives VM.destroy');

    await json.call('VDI.destroy', s, vdi);
    assert.equal((await xapiError(() => json.call('VDI.get_record', s, vdi))).code, 'HANDLE_INVALID');
    assert.equal(await json.call('SR.get_physical_utilisation', s, sr), srBefore);
  });

  it('returns the new ref of an Async clone as an XML-RPC value string, even over JSON-RPC', async () => {
    const task = await json.call('Async.VM.clone', s, await templateRef(json, s, 'Rocky Linux 9'), 'async-clone');
    const done = await waitTask(json, s, task);
    assert.match(done.result, /^<value>OpaqueRef:[0-9a-f-]{36}<\/value>$/);
    const vm = parseValueXml(done.result) as string;
    assert.equal(await json.call('VM.get_name_label', s, vm), 'async-clone');
    await json.call('task.destroy', s, task);
    assert.equal((await xapiError(() => json.call('task.get_status', s, task))).code, 'HANDLE_INVALID');
  });

  it('refuses VDI.destroy while the disk is attached to a running VM', async () => {
    const vm = await json.call('VM.clone', s, await templateRef(json, s), 'busy-disk');
    await json.call('VM.provision', s, vm);
    const [vbd] = await json.call('VM.get_VBDs', s, vm);
    const vdi = await json.call('VBD.get_VDI', s, vbd);
    await json.call('VM.start', s, vm, false, false);
    const e = await xapiError(() => json.call('VDI.destroy', s, vdi));
    assert.deepEqual([e.code, e.params], ['VDI_IN_USE', [vdi, 'destroy']]);
    await json.call('VM.hard_shutdown', s, vm);
  });

  // xapi_vdi.ml check_operation_error: resize is not a live operation (resize_online is), so an attached disk refuses it.
  it('refuses VDI.resize while the disk is attached to a running VM, and grows it once halted', async () => {
    const vm = await json.call('VM.clone', s, await templateRef(json, s), 'grow-disk');
    await json.call('VM.provision', s, vm);
    const [vbd] = await json.call('VM.get_VBDs', s, vm);
    const vdi = await json.call('VBD.get_VDI', s, vbd);
    const size = Number(await json.call('VDI.get_virtual_size', s, vdi));
    await json.call('VM.start', s, vm, false, false);
    const e = await xapiError(() => json.call('VDI.resize', s, vdi, String(size * 2)));
    assert.deepEqual([e.code, e.params], ['VDI_IN_USE', [vdi, 'resize']]);
    await json.call('VM.hard_shutdown', s, vm);
    await json.call('VDI.resize', s, vdi, String(size * 2));
    assert.equal(Number(await json.call('VDI.get_virtual_size', s, vdi)), size * 2);
  });

  it('creates disks and NICs from full records, with generated MACs and free device numbers', async () => {
    const vm = await json.call('VM.clone', s, await templateRef(json, s), 'devices');
    await json.call('VM.provision', s, vm);
    const [pool] = await json.call('pool.get_all', s);
    const sr = await json.call('pool.get_default_SR', s, pool);
    const free = await json.call('VM.get_allowed_VBD_devices', s, vm);
    assert.equal(free.includes('0'), false);
    const vdi = await xml.call('VDI.create', s, {
      name_label: 'data',
      name_description: '',
      SR: sr,
      virtual_size: 5 * GiB,
      type: 'user',
      sharable: false,
      read_only: false,
      other_config: {},
      xenstore_data: {},
      sm_config: {},
      tags: [],
    });
    const vbd = await json.call('VBD.create', s, {
      VM: vm,
      VDI: vdi,
      userdevice: free[0],
      bootable: false,
      mode: 'RW',
      type: 'Disk',
      unpluggable: true,
      empty: false,
      other_config: {},
      qos_algorithm_type: '',
      qos_algorithm_params: {},
    });
    assert.equal(await json.call('VBD.get_userdevice', s, vbd), '1');
    const dup = await xapiError(() =>
      json.call('VBD.create', s, {
        VM: vm,
        VDI: vdi,
        userdevice: '1',
        bootable: false,
        mode: 'RW',
        type: 'Disk',
        unpluggable: true,
        empty: false,
        other_config: {},
        qos_algorithm_type: '',
        qos_algorithm_params: {},
      }),
    );
    assert.deepEqual([dup.code, dup.params], ['DEVICE_ALREADY_EXISTS', ['1']]);
    const [net] = await json.call('network.get_by_name_label', s, 'Pool-wide network associated with eth0');
    const [device] = await json.call('VM.get_allowed_VIF_devices', s, vm);
    const vif = await json.call('VIF.create', s, {
      device,
      network: net,
      VM: vm,
      MAC: '',
      MTU: 0,
      other_config: {},
      qos_algorithm_type: '',
      qos_algorithm_params: {},
      locking_mode: 'network_default',
      ipv4_allowed: [],
      ipv6_allowed: [],
    });
    const rec = await json.call('VIF.get_record', s, vif);
    assert.match(rec.MAC, /^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/, 'locally administered unicast MAC');
    assert.equal(rec.MAC_autogenerated, true);
    assert.equal(rec.MTU, 1500);
    // ocaml/xapi/xapi_vm_helpers.ml allowed_VIF_devices_HVM: 0..15
    assert.deepEqual(
      await json.call('VM.get_allowed_VIF_devices', s, vm),
      Array.from({ length: 15 }, (_, i) => String(i + 1)),
    );
    const bad = await xapiError(() =>
      json.call('VIF.create', s, {
        device: '1',
        network: net,
        VM: vm,
        MAC: 'zz',
        MTU: 1500,
        other_config: {},
        qos_algorithm_type: '',
        qos_algorithm_params: {},
      }),
    );
    assert.deepEqual([bad.code, bad.params], ['MAC_INVALID', ['zz']]);
    await json.call('VIF.destroy', s, vif);
    assert.deepEqual(await json.call('VM.get_VIFs', s, vm), []);
  });

  it('fails provision with SR_FULL when the default SR has no room', async () => {
    const vm = await json.call('VM.clone', s, await templateRef(json, s), 'too-big');
    const other = await json.call('VM.get_other_config', s, vm);
    const huge = other.disks.replace(/size="\d+"/, `size="${3 * 1024 * GiB}"`);
    await json.call('VM.remove_from_other_config', s, vm, 'disks');
    await json.call('VM.add_to_other_config', s, vm, 'disks', huge);
    const e = await xapiError(() => json.call('VM.provision', s, vm));
    assert.equal(e.code, 'SR_FULL');
    assert.equal(e.params[0], String(3 * 1024 * GiB));
    assert.deepEqual(await json.call('VM.get_VBDs', s, vm), [], 'nothing half-created');
  });

  it('reports the xenstore IPs through VM_guest_metrics while running', async () => {
    const vm = await json.call('VM.clone', s, await templateRef(json, s), 'with-ip');
    await json.call('VM.provision', s, vm);
    await json.call('VM.add_to_xenstore_data', s, vm, 'vm-data/ip0', '10.0.0.5/24');
    await json.call('VM.start', s, vm, false, false);
    const gm = await json.call('VM.get_guest_metrics', s, vm);
    assert.equal((await json.call('VM_guest_metrics.get_networks', s, gm))['0/ip'], '10.0.0.5');
    await json.call('VM.hard_shutdown', s, vm);
    assert.equal(await json.call('VM.get_guest_metrics', s, vm), 'OpaqueRef:NULL');
  });

  it('copies a VM with its disks', async () => {
    const src = await json.call('VM.clone', s, await templateRef(json, s), 'copy-src');
    await json.call('VM.provision', s, src);
    const copy = await json.call('VM.copy', s, src, 'copy-dst', 'OpaqueRef:NULL');
    const [vbd] = await json.call('VM.get_VBDs', s, copy);
    const vdi = await json.call('VBD.get_VDI', s, vbd);
    const [srcVbd] = await json.call('VM.get_VBDs', s, src);
    assert.notEqual(vdi, await json.call('VBD.get_VDI', s, srcVbd));
    assert.equal(await json.call('VDI.get_virtual_size', s, vdi), 10 * GiB);
  });
});
