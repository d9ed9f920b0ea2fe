// Conformance: VM operation errors and allowed_operations as xapi computes them.
// Authority: xapi ocaml/xapi/xapi_vm_lifecycle.ml (allowed_power_states, is_allowed_concurrently, check_template,
// check_operation_error, update_allowed_operations), ocaml/xapi/message_forwarding.ml (VM.hard_shutdown `cancel`),
// ocaml/xapi/xapi_vm_memory_constraints.ml, ocaml/xapi/xapi_vbd_helpers.ml (valid_operations), ocaml/xapi/xapi_task.ml (cancel).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { haltedOps, runningOps } from '../testing/xapi-expectations.js';
import { control, login, newVm, templateRef, transports, waitTask, xapiError, type Transport } from '../testing/xapi-test-client.js';

const GiB = 1024 ** 3;
for (const [wire, connect] of transports) {
  describe(`conformance (${wire}): VM operations as xapi_vm_lifecycle.ml decides them`, () => {
    let sim: Simulator;
    let t: Transport;
    let s: string;
    before(async () => {
      sim = await startSimulator();
      t = connect(sim.url);
      s = await login(t);
    });
    after(() => sim.close());
    const ops = async (vm: string) => (await t.call('VM.get_allowed_operations', s, vm)) as string[];

    it('computes allowed_operations: halted (no provision, no ignored ops), running (checkpoint, migration), templates', async () => {
      const vm = await newVm(t, s, 'ops');
      assert.deepEqual(await ops(vm), haltedOps);
      await t.call('VM.start', s, vm, false, false);
      assert.deepEqual(await ops(vm), runningOps);
      assert.deepEqual(new Set(await ops(vm)), new Set([...runningOps]), 'same set as the real xapi recording, plus metadata_export');
      await t.call('VM.suspend', s, vm);
      assert.deepEqual(await ops(vm), ['destroy', 'metadata_export', 'export', 'migrate_send', 'resume_on', 'resume', 'hard_shutdown', 'checkpoint', 'snapshot']);
      const clone = await t.call('VM.clone', s, await templateRef(t, s), 'a-template');
      assert.deepEqual(await ops(clone), ['destroy', 'metadata_export', 'export', 'changing_NVRAM', 'changing_shadow_memory', 'changing_static_range',
        'changing_dynamic_range', 'migrate_send', 'provision', 'copy', 'clone']);
      const dflt = await templateRef(t, s);
      assert.equal((await t.call('VM.get_other_config', s, dflt)).default_template, 'true');
      assert.equal((await ops(dflt)).includes('destroy'), false, 'a default template cannot be destroyed');
      const e = await xapiError(() => t.call('VM.destroy', s, dflt));
      assert.deepEqual([e.code, ...e.params], ['VM_IS_TEMPLATE', dflt, 'destroy']);
    });

    it('raises VM_BAD_POWER_STATE with the expected states in xapi\'s order', async () => {
      const vm = await newVm(t, s, 'states');
      const bad = async (method: string, ...args: unknown[]) => {
        const e = await xapiError(() => t.call(method, s, vm, ...args));
        return [e.code, ...e.params];
      };
      assert.deepEqual(await bad('VM.hard_shutdown'), ['VM_BAD_POWER_STATE', vm, 'paused, suspended, running', 'halted']);
      assert.deepEqual(await bad('VM.hard_reboot'), ['VM_BAD_POWER_STATE', vm, 'paused, running', 'halted']);
      assert.deepEqual(await bad('VM.resume', false, false), ['VM_BAD_POWER_STATE', vm, 'suspended', 'halted']);
      await t.call('VM.start', s, vm, false, false);
      assert.deepEqual(await bad('VM.destroy'), ['VM_BAD_POWER_STATE', vm, 'halted, suspended', 'running']);
      assert.deepEqual(await bad('VM.clone', 'x'), ['VM_BAD_POWER_STATE', vm, 'halted', 'running']);
      assert.deepEqual(await bad('VM.set_VCPUs_max', 4), ['VM_BAD_POWER_STATE', vm, 'halted', 'running']);
      await t.call('VM.set_VCPUs_at_startup', s, vm, 1); // no operation in xapi: any power state
      await t.call('VM.hard_shutdown', s, vm);
    });

    it('refuses templates, non-templates and control domains with xapi\'s codes and params', async () => {
      const tpl = await templateRef(t, s);
      let e = await xapiError(() => t.call('VM.start', s, tpl, false, false));
      assert.deepEqual([e.code, ...e.params], ['VM_IS_TEMPLATE', tpl, 'start']);
      const vm = await newVm(t, s, 'plain');
      e = await xapiError(() => t.call('VM.provision', s, vm));
      assert.deepEqual([e.code, ...e.params], ['ONLY_PROVISION_TEMPLATE']);
      const dom0 = await t.call('host.get_control_domain', s, sim.state.hostRefs[0]);
      e = await xapiError(() => t.call('VM.clean_shutdown', s, dom0));
      assert.deepEqual([e.code, ...e.params], ['OPERATION_NOT_ALLOWED', 'This operation is not allowed on a control domain']);
      e = await xapiError(() => t.call('VM.destroy', s, dom0));
      assert.deepEqual([e.code, ...e.params], ['VM_BAD_POWER_STATE', dom0, 'halted, suspended', 'running']);
      // control domains keep memory pinned at static_max (assert_valid_for_current_context)
      e = await xapiError(() => t.call('VM.set_memory_limits', s, dom0, GiB, 4 * GiB, 2 * GiB, 4 * GiB));
      assert.deepEqual([e.code, ...e.params], ['MEMORY_CONSTRAINT_VIOLATION_MAXPIN', 'control domain']);
      e = await xapiError(() => t.call('VM.set_memory_limits', s, vm, GiB, 2 * GiB, 4 * GiB, 4 * GiB));
      assert.deepEqual([e.code, ...e.params], ['MEMORY_CONSTRAINT_VIOLATION_ORDER']);
    });

    it('destroys a Suspended VM, and hard-shuts one down', async () => {
      const a = await newVm(t, s, 'suspended-a');
      const b = await newVm(t, s, 'suspended-b');
      for (const vm of [a, b]) {
        await t.call('VM.start', s, vm, false, false);
        await t.call('VM.suspend', s, vm);
      }
      await t.call('VM.destroy', s, a);
      assert.equal((await xapiError(() => t.call('VM.get_record', s, a))).code, 'HANDLE_INVALID');
      await t.call('VM.hard_shutdown', s, b);
      assert.equal(await t.call('VM.get_power_state', s, b), 'Halted');
    });

    it('lets hard_shutdown run during a clean_shutdown and cancels it; refuses other ops meanwhile', async () => {
      const vm = await newVm(t, s, 'cancelled');
      await t.call('VM.start', s, vm, false, false);
      await control(sim.url, 'latency', { method: 'VM.clean_shutdown', ms: 5000 });
      try {
        const task = await t.call('Async.VM.clean_shutdown', s, vm);
        while (!Object.values(await t.call('VM.get_current_operations', s, vm)).includes('clean_shutdown')) await new Promise((r) => setTimeout(r, 5));
        const during = await ops(vm);
        assert.ok(during.includes('hard_shutdown') && during.includes('hard_reboot') && !during.includes('clean_reboot'), JSON.stringify(during));
        const e = await xapiError(() => t.call('VM.clean_reboot', s, vm));
        assert.deepEqual([e.code, ...e.params], ['OTHER_OPERATION_IN_PROGRESS', 'VM', vm, 'clean_shutdown', task]);
        const started = Date.now();
        await t.call('VM.hard_shutdown', s, vm);
        assert.ok(Date.now() - started < 4000, 'did not wait for the clean shutdown');
        const rec = await waitTask(t, s, task);
        assert.deepEqual([rec.status, rec.error_info], ['cancelled', ['TASK_CANCELLED', task]]);
        await t.call('task.cancel', s, task); // xapi_task.ml cancel: a finished task is no error, and stays as it was
        assert.equal(await t.call('task.get_status', s, task), 'cancelled');
        assert.equal(await t.call('VM.get_power_state', s, vm), 'Halted');
        assert.deepEqual(await t.call('VM.get_current_operations', s, vm), {});
        assert.deepEqual(await ops(vm), haltedOps);
      } finally {
        await control(sim.url, 'latency', { method: 'VM.clean_shutdown', ms: 0 });
      }
    });

    it('refuses to unplug a VBD that is not unpluggable, and keeps VBD allowed_operations (xapi_vbd_helpers.ml)', async () => {
      const vm = await newVm(t, s, 'vbds');
      const [vbd] = await t.call('VM.get_VBDs', s, vm);
      assert.equal(await t.call('VBD.get_unpluggable', s, vbd), false, 'a provisioned system disk');
      let e = await xapiError(() => t.call('VBD.plug', s, vbd));
      assert.deepEqual([e.code, ...e.params], ['VM_BAD_POWER_STATE', vm, 'running', 'halted']);
      assert.deepEqual(await t.call('VBD.get_allowed_operations', s, vbd), ['attach']);
      await t.call('VM.start', s, vm, false, false);
      e = await xapiError(() => t.call('VBD.unplug', s, vbd));
      assert.deepEqual([e.code, ...e.params], ['VBD_NOT_UNPLUGGABLE', vbd]);
      assert.deepEqual(await t.call('VBD.get_allowed_operations', s, vbd), ['attach', 'pause', 'unpause']);
      e = await xapiError(() => t.call('VBD.destroy', s, vbd));
      assert.equal(e.code, 'OPERATION_NOT_ALLOWED');
      await t.call('VM.hard_shutdown', s, vm);
    });
  });
}
