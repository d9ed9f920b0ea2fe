import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { JsonRpc, XmlRpc, control, login, templateRef, waitTask, xapiError } from '../testing/xapi-test-client.js';

const GiB = 1024 ** 3;

describe('the VM power-state machine and host capacity', () => {
  let sim: Simulator;
  let json: JsonRpc;
  let s: string;
  const newVm = async (name: string, memGiB = 1) => {
    const vm = await json.call('VM.clone', s, await templateRef(json, s), name);
    await json.call('VM.provision', s, vm);
    await json.call('VM.set_memory_limits', s, vm, GiB / 4, memGiB * GiB, memGiB * GiB, memGiB * GiB);
    return vm as string;
  };
  before(async () => {
    sim = await startSimulator();
    json = new JsonRpc(sim.url);
    s = await login(json);
  });
  after(() => sim.close());

  it('starts with 64 GiB hosts whose dom0 holds 4 GiB', async () => {
    for (const h of sim.state.hostRefs) {
      assert.equal(await json.call('host.compute_free_memory', s, h), 60 * GiB);
      const metrics = await json.call('host_metrics.get_record', s, await json.call('host.get_metrics', s, h));
      assert.deepEqual([metrics.memory_total, metrics.memory_free, metrics.live], [64 * GiB, 60 * GiB, true]);
      const dom0 = await json.call('host.get_control_domain', s, h);
      assert.equal(await json.call('VM.get_is_control_domain', s, dom0), true);
      assert.equal(await json.call('VM.get_resident_on', s, dom0), h);
    }
  });

  it('reports VM_BAD_POWER_STATE with lowercase expected and actual states', async () => {
    const vm = await newVm('bad-state');
    const e = await xapiError(() => json.call('VM.clean_shutdown', s, vm));
    assert.deepEqual([e.code, e.params], ['VM_BAD_POWER_STATE', [vm, 'running', 'halted']]);
    await json.call('VM.start', s, vm, false, false);
    const e2 = await xapiError(() => new XmlRpc(sim.url).call('VM.start', s, vm, false, false));
    assert.deepEqual([e2.code, e2.params], ['VM_BAD_POWER_STATE', [vm, 'halted', 'running']]);
    // xapi_vm_lifecycle.ml allowed_power_states: destroy runs Halted or Suspended, listed in that order
    const e3 = await xapiError(() => json.call('VM.destroy', s, vm));
    assert.deepEqual(e3.params, [vm, 'halted, suspended', 'running']);
    const e4 = await xapiError(() => json.call('VM.set_memory_limits', s, vm, GiB, GiB, GiB, GiB));
    assert.equal(e4.code, 'VM_BAD_POWER_STATE');
    await json.call('VM.hard_shutdown', s, vm);
  });

  it('maintains allowed_operations with the power state', async () => {
    const vm = await newVm('allowed-ops');
    const halted: string[] = await json.call('VM.get_allowed_operations', s, vm);
    assert.ok(halted.includes('start') && !halted.includes('clean_shutdown'));
    await json.call('VM.start', s, vm, false, false);
    const running: string[] = await json.call('VM.get_allowed_operations', s, vm);
    assert.ok(running.includes('clean_shutdown') && running.includes('hard_reboot') && !running.includes('start'));
    const domid = await json.call('VM.get_domid', s, vm);
    await json.call('VM.clean_reboot', s, vm);
    assert.notEqual(await json.call('VM.get_domid', s, vm), domid, 'a reboot makes a new domain');
    await json.call('VM.suspend', s, vm);
    assert.equal(await json.call('VM.get_power_state', s, vm), 'Suspended');
    await json.call('VM.resume', s, vm, false, false);
    await json.call('VM.pause', s, vm);
    assert.equal(await json.call('VM.get_power_state', s, vm), 'Paused');
    await json.call('VM.hard_shutdown', s, vm);
    assert.equal(await json.call('VM.get_domid', s, vm), -1);
  });

  // xapi_vm_lifecycle.ml check_template: VM_IS_TEMPLATE [vm, operation]
  it('refuses to start templates with VM_IS_TEMPLATE [vm, start]', async () => {
    const t = await templateRef(json, s);
    const e = await xapiError(() => json.call('VM.start', s, t, false, false));
    assert.deepEqual([e.code, e.params], ['VM_IS_TEMPLATE', [t, 'start']]);
  });

  it('enforces static_min <= dynamic_min <= dynamic_max <= static_max and VCPUs_at_startup <= VCPUs_max', async () => {
    const vm = await newVm('constraints');
    // xapi_vm_memory_constraints.ml assert_valid: MEMORY_CONSTRAINT_VIOLATION_ORDER, no params
    const order = await xapiError(() => json.call('VM.set_memory_limits', s, vm, 2 * GiB, 4 * GiB, 1 * GiB, 4 * GiB));
    assert.deepEqual([order.code, order.params], ['MEMORY_CONSTRAINT_VIOLATION_ORDER', []]);
    assert.equal((await xapiError(() => json.call('VM.set_memory_static_max', s, vm, GiB / 2))).code, 'MEMORY_CONSTRAINT_VIOLATION_ORDER');
    await json.call('VM.set_memory_dynamic_range', s, vm, GiB / 2, GiB);
    assert.equal(await json.call('VM.get_memory_dynamic_min', s, vm), GiB / 2);
    const e = await xapiError(() => json.call('VM.set_VCPUs_at_startup', s, vm, 2));
    assert.deepEqual([e.code, e.params[1]], ['INVALID_VALUE', '2']);
    await json.call('VM.set_VCPUs_max', s, vm, 2);
    await json.call('VM.set_VCPUs_at_startup', s, vm, 2);
    assert.equal((await xapiError(() => json.call('VM.set_VCPUs_max', s, vm, 1))).code, 'INVALID_VALUE');
  });

  it('changes vCPUs and memory of a running VM live', async () => {
    const vm = await newVm('live');
    await json.call('VM.set_VCPUs_max', s, vm, 4);
    await json.call('VM.start', s, vm, false, false);
    await json.call('VM.set_VCPUs_number_live', s, vm, 3);
    const metrics = await json.call('VM.get_metrics', s, vm);
    assert.equal(await json.call('VM_metrics.get_VCPUs_number', s, metrics), 3);
    assert.equal((await xapiError(() => json.call('VM.set_VCPUs_max', s, vm, 8))).code, 'VM_BAD_POWER_STATE');
    await json.call('VM.set_memory_dynamic_range', s, vm, GiB / 2, GiB / 2);
    assert.equal(await json.call('VM_metrics.get_memory_actual', s, metrics), GiB / 2);
    await json.call('VM.hard_shutdown', s, vm);
  });

  it('places VMs on the host with most free memory and accounts host_metrics.memory_free', async () => {
    const [h1, h2] = sim.state.hostRefs;
    const free = async (h: string) => json.call('host.compute_free_memory', s, h);
    const before1 = await free(h1);
    const a = await newVm('place-a', 8);
    await json.call('VM.start_on', s, a, h1, false, false);
    assert.equal(await free(h1), before1 - 8 * GiB);
    const metrics = await json.call('host.get_metrics', s, h1);
    assert.equal(await json.call('host_metrics.get_memory_free', s, metrics), before1 - 8 * GiB);
    const b = await newVm('place-b', 8);
    await json.call('VM.start', s, b, false, false);
    assert.equal(await json.call('VM.get_resident_on', s, b), h2, 'the emptier host wins');
    for (const vm of [a, b]) await json.call('VM.hard_shutdown', s, vm);
    assert.equal(await free(h1), before1);
  });

  it('fails with HOST_NOT_ENOUGH_FREE_MEMORY [needed, available] when no host has room', async () => {
    const vm = await newVm('huge', 100);
    const most = Math.max(...(await Promise.all(sim.state.hostRefs.map((h) => json.call('host.compute_free_memory', s, h)))));
    const e = await xapiError(() => json.call('VM.start', s, vm, false, false));
    assert.deepEqual([e.code, e.params], ['HOST_NOT_ENOUGH_FREE_MEMORY', [String(100 * GiB), String(most)]]);
    const e2 = await xapiError(() => json.call('VM.start_on', s, vm, sim.state.hostRefs[1], false, false));
    assert.equal(e2.code, 'HOST_NOT_ENOUGH_FREE_MEMORY');
    assert.equal(await json.call('VM.get_power_state', s, vm), 'Halted');
    assert.equal(await json.call('VM.get_scheduled_to_be_resident_on', s, vm), 'OpaqueRef:NULL');
  });

  it('fails with NO_HOSTS_AVAILABLE when every host is disabled', async () => {
    const vm = await newVm('nowhere');
    for (const h of sim.state.hostRefs) await json.call('host.disable', s, h);
    try {
      const e = await xapiError(() => json.call('VM.start', s, vm, false, false));
      assert.deepEqual([e.code, e.params], ['NO_HOSTS_AVAILABLE', []]);
    } finally {
      for (const h of sim.state.hostRefs) await json.call('host.enable', s, h);
    }
  });

  it('reports OTHER_OPERATION_IN_PROGRESS while a slow start runs, with the op and its task', async () => {
    const vm = await newVm('busy');
    await control(sim.url, 'latency', { method: 'VM.start', ms: 300 });
    try {
      const task = await json.call('Async.VM.start', s, vm, false, false);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(await json.call('VM.get_current_operations', s, vm), { [task]: 'start' });
      assert.deepEqual(await json.call('VM.get_allowed_operations', s, vm), []);
      const e = await xapiError(() => json.call('VM.start', s, vm, false, false));
      assert.deepEqual([e.code, e.params], ['OTHER_OPERATION_IN_PROGRESS', ['VM', vm, 'start', task]]);
      assert.equal((await json.call('task.get_record', s, task)).status, 'pending');
      assert.equal((await waitTask(json, s, task)).status, 'success');
      assert.deepEqual(await json.call('VM.get_current_operations', s, vm), {});
    } finally {
      await control(sim.url, 'latency', { method: 'VM.start', ms: 0 });
    }
    await json.call('VM.hard_shutdown', s, vm);
  });

  it('lets several clones of one template run at once', async () => {
    const t = await templateRef(json, s, 'Ubuntu Jammy Jellyfish 22.04');
    await control(sim.url, 'latency', { method: 'VM.clone', ms: 100 });
    try {
      const tasks = await Promise.all(['c1', 'c2', 'c3'].map((n) => json.call('Async.VM.clone', s, t, n)));
      const done = await Promise.all(tasks.map((task) => waitTask(json, s, task)));
      assert.deepEqual(
        done.map((d) => d.status),
        ['success', 'success', 'success'],
      );
    } finally {
      await control(sim.url, 'latency', { method: 'VM.clone', ms: 0 });
    }
  });
});
