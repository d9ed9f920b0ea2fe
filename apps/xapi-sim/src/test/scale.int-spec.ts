import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { JsonRpc, control, eventToken, login, templateRef, xapiError } from '../testing/xapi-test-client.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const populated = 10_000;
const hosts = 64;

// Correctness at scale only; the latencies are measured by src/bench/scale.bench.ts, never asserted.
describe('a pool of 64 hosts and 10,000 VMs', () => {
  let sim: Simulator;
  let json: JsonRpc;
  let s: string;
  before(async () => {
    sim = await startSimulator({ hosts, prepopulateVms: populated });
    json = new JsonRpc(sim.url);
    s = await login(json);
  });
  after(() => sim?.close());

  it('counts every object: populated VMs, templates, one dom0, metrics and listener per host', async () => {
    const vms = populated + 4 + hosts;
    const { counts, hosts: listeners } = (await control(sim.url, 'state')).body;
    assert.deepEqual([counts.host, counts.VM, counts.VM_metrics, counts.VIF, counts.host_metrics], [hosts, vms, vms, populated, hosts]);
    assert.equal((await json.call('VM.get_all', s)).length, vms);
    assert.equal(Object.keys(await json.call('VM.get_all_records', s)).length, vms);
    assert.equal(listeners.length, hosts);
    const e = await xapiError(() => login(new JsonRpc(sim.hostUrl(64))));
    assert.deepEqual([e.code, e.params], ['HOST_IS_SLAVE', ['127.0.0.1']], 'host 64 has its own address');
  });

  it('selects with get_all_records_where by field, consistent with the back-references', async () => {
    const running = await json.call('VM.get_all_records_where', s, 'field "power_state"="Running"');
    assert.equal(Object.keys(running).length, populated / 2 + hosts, 'every other populated VM, and the dom0s');
    assert.ok(Object.values(running).every((vm: any) => vm.power_state === 'Running' && vm.resident_on !== 'OpaqueRef:NULL'));
    let resident = 0;
    for (const h of sim.state.hostRefs) {
      const where = await json.call('VM.get_all_records_where', s, `field "resident_on"="${h}"`);
      const list: string[] = await json.call('host.get_resident_VMs', s, h);
      assert.deepEqual(Object.keys(where).sort(), [...list].sort());
      resident += list.length;
    }
    assert.equal(resident, populated / 2 + hosts);
    const one = await json.call('VM.get_all_records_where', s, 'field "name_label"="pop-vm-5000" and field "power_state"="Halted"');
    assert.equal(Object.keys(one).length, 1);
    assert.equal((await json.call('VM.get_by_name_label', s, 'pop-vm-5001')).length, 1);
  });

  it('accounts host memory for the running VMs and places a new VM', async () => {
    const h1 = sim.state.hostRefs[0];
    const mine = (await json.call('host.get_resident_VMs', s, h1)).length - 1; // minus dom0
    assert.equal(await json.call('host.compute_free_memory', s, h1), 64 * GiB - 4 * GiB - mine * 256 * MiB);
    const vm = await json.call('VM.clone', s, await templateRef(json, s), 'at-scale');
    await json.call('VM.provision', s, vm);
    await json.call('VM.start', s, vm, false, false);
    assert.equal(await json.call('VM.get_power_state', s, vm), 'Running');
  });

  it('returns exactly the one change from event.from after a token', async () => {
    const token = await eventToken(json, s, ['vm']);
    const [vm] = Object.keys(await json.call('VM.get_all_records_where', s, 'field "name_label"="pop-vm-9999"'));
    await json.call('VM.set_name_description', s, vm, 'touched');
    const batch = await json.call('event.from', s, ['vm'], token, 5.0);
    assert.deepEqual(
      batch.events.map((e: any) => [e.ref, e.operation, e.snapshot.name_description]),
      [[vm, 'mod', 'touched']],
    );
    assert.equal(batch.valid_ref_counts.vm, populated + 4 + hosts + 1);
  });
});
