// Conformance: VM operation errors and allowed_operations as xapi computes them.
// Authority: xapi ocaml/xapi/xapi_vm_lifecycle.ml (allowed_power_states, is_allowed_concurrently, check_template,
// check_operation_error, update_allowed_operations), ocaml/xapi/message_forwarding.ml (VM.hard_shutdown `cancel`),
// ocaml/xapi/xapi_vm_memory_constraints.ml, ocaml/xapi/xapi_vbd_helpers.ml (valid_operations), ocaml/xapi/xapi_task.ml (cancel).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simOver } from '../testing/conformance-fixture.js';
import { haltedOps, runningOps } from '../testing/xapi-expectations.js';
import { control, newVm, templateRef, transports, waitTask, xapiError } from '../testing/xapi-test-client.js';

const GiB = 1024 ** 3;
for (const [wire, connect] of transports) {
  describe(`conformance (${wire}): VM operations as xapi_vm_lifecycle.ml decides them`, () => {
    const c = simOver(connect);
    const ops = async (vm: string) => (await c.t.call('VM.get_allowed_operations', c.s, vm)) as string[];

    it('computes allowed_operations: halted (no provision, no ignored ops), running (checkpoint, migration), templates', async () => {
      const vm = await newVm(c.t, c.s, 'ops');
      assert.deepEqual(await ops(vm), haltedOps);
      await c.t.call('VM.start', c.s, vm, false, false);
      assert.deepEqual(await ops(vm), runningOps);
      assert.deepEqual(new Set(await ops(vm)), new Set([...runningOps]), 'same set as the real xapi recording, plus metadata_export');
      await c.t.call('VM.suspend', c.s, vm);
      assert.deepEqual(await ops(vm), [
        'destroy',
        'metadata_export',
        'export',
        'migrate_send',
        'resume_on',
        'resume',
        'hard_shutdown',
        'checkpoint',
        'snapshot',
      ]);
      const clone = await c.t.call('VM.clone', c.s, await templateRef(c.t, c.s), 'a-template');
      assert.deepEqual(await ops(clone), [
        'destroy',
        'metadata_export',
        'export',
        'changing_NVRAM',
        'changing_shadow_memory',
        'changing_static_range',
        'changing_dynamic_range',
        'migrate_send',
        'provision',
        'copy',
        'clone',
      ]);
      const dflt = await templateRef(c.t, c.s);
      assert.equal((await c.t.call('VM.get_other_config', c.s, dflt)).default_template, 'true');
      assert.equal((await ops(dflt)).includes('destroy'), false, 'a default template cannot be destroyed');
      const e = await xapiError(() => c.t.call('VM.destroy', c.s, dflt));
      assert.deepEqual([e.code, ...e.params], ['VM_IS_TEMPLATE', dflt, 'destroy']);
    });

    it("raises VM_BAD_POWER_STATE with the expected states in xapi's order", async () => {
      const vm = await newVm(c.t, c.s, 'states');
      const bad = async (method: string, ...args: unknown[]) => {
        const e = await xapiError(() => c.t.call(method, c.s, vm, ...args));
        return [e.code, ...e.params];
      };
      assert.deepEqual(await bad('VM.hard_shutdown'), ['VM_BAD_POWER_STATE', vm, 'paused, suspended, running', 'halted']);
      assert.deepEqual(await bad('VM.hard_reboot'), ['VM_BAD_POWER_STATE', vm, 'paused, running', 'halted']);
      assert.deepEqual(await bad('VM.resume', false, false), ['VM_BAD_POWER_STATE', vm, 'suspended', 'halted']);
      await c.t.call('VM.start', c.s, vm, false, false);
      assert.deepEqual(await bad('VM.destroy'), ['VM_BAD_POWER_STATE', vm, 'halted, suspended', 'running']);
      assert.deepEqual(await bad('VM.clone', 'x'), ['VM_BAD_POWER_STATE', vm, 'halted', 'running']);
      assert.deepEqual(await bad('VM.set_VCPUs_max', 4), ['VM_BAD_POWER_STATE', vm, 'halted', 'running']);
      await c.t.call('VM.set_VCPUs_at_startup', c.s, vm, 1); // no operation in xapi: any power state
      await c.t.call('VM.hard_shutdown', c.s, vm);
    });

    it("refuses templates, non-templates and control domains with xapi's codes and params", async () => {
      const tpl = await templateRef(c.t, c.s);
      let e = await xapiError(() => c.t.call('VM.start', c.s, tpl, false, false));
      assert.deepEqual([e.code, ...e.params], ['VM_IS_TEMPLATE', tpl, 'start']);
      const vm = await newVm(c.t, c.s, 'plain');
      e = await xapiError(() => c.t.call('VM.provision', c.s, vm));
      assert.deepEqual([e.code, ...e.params], ['ONLY_PROVISION_TEMPLATE']);
      const dom0 = await c.t.call('host.get_control_domain', c.s, c.sim.state.hostRefs[0]);
      e = await xapiError(() => c.t.call('VM.clean_shutdown', c.s, dom0));
      assert.deepEqual([e.code, ...e.params], ['OPERATION_NOT_ALLOWED', 'This operation is not allowed on a control domain']);
      e = await xapiError(() => c.t.call('VM.destroy', c.s, dom0));
      assert.deepEqual([e.code, ...e.params], ['VM_BAD_POWER_STATE', dom0, 'halted, suspended', 'running']);
      // control domains keep memory pinned at static_max (assert_valid_for_current_context)
      e = await xapiError(() => c.t.call('VM.set_memory_limits', c.s, dom0, GiB, 4 * GiB, 2 * GiB, 4 * GiB));
      assert.deepEqual([e.code, ...e.params], ['MEMORY_CONSTRAINT_VIOLATION_MAXPIN', 'control domain']);
      e = await xapiError(() => c.t.call('VM.set_memory_limits', c.s, vm, GiB, 2 * GiB, 4 * GiB, 4 * GiB));
      assert.deepEqual([e.code, ...e.params], ['MEMORY_CONSTRAINT_VIOLATION_ORDER']);
    });

    it('destroys a Suspended VM, and hard-shuts one down', async () => {
      const a = await newVm(c.t, c.s, 'suspended-a');
      const b = await newVm(c.t, c.s, 'suspended-b');
      for (const vm of [a, b]) {
        await c.t.call('VM.start', c.s, vm, false, false);
        await c.t.call('VM.suspend', c.s, vm);
      }
      await c.t.call('VM.destroy', c.s, a);
      assert.equal((await xapiError(() => c.t.call('VM.get_record', c.s, a))).code, 'HANDLE_INVALID');
      await c.t.call('VM.hard_shutdown', c.s, b);
      assert.equal(await c.t.call('VM.get_power_state', c.s, b), 'Halted');
    });

    it('lets hard_shutdown run during a clean_shutdown and cancels it; refuses other ops meanwhile', async () => {
      const vm = await newVm(c.t, c.s, 'cancelled');
      await c.t.call('VM.start', c.s, vm, false, false);
      await control(c.sim.url, 'latency', { method: 'VM.clean_shutdown', ms: 5000 });
      try {
        const task = await c.t.call('Async.VM.clean_shutdown', c.s, vm);
        while (!Object.values(await c.t.call('VM.get_current_operations', c.s, vm)).includes('clean_shutdown'))
          await new Promise((r) => setTimeout(r, 5));
        const during = await ops(vm);
        assert.ok(during.includes('hard_shutdown') && during.includes('hard_reboot') && !during.includes('clean_reboot'), JSON.stringify(during));
        const e = await xapiError(() => c.t.call('VM.clean_reboot', c.s, vm));
        assert.deepEqual([e.code, ...e.params], ['OTHER_OPERATION_IN_PROGRESS', 'VM', vm, 'clean_shutdown', task]);
        const started = Date.now();
        await c.t.call('VM.hard_shutdown', c.s, vm);
        assert.ok(Date.now() - started < 4000, 'did not wait for the clean shutdown');
        const rec = await waitTask(c.t, c.s, task);
        assert.deepEqual([rec.status, rec.error_info], ['cancelled', ['TASK_CANCELLED', task]]);
        await c.t.call('task.cancel', c.s, task); // xapi_task.ml cancel: a finished task is no error, and stays as it was
        assert.equal(await c.t.call('task.get_status', c.s, task), 'cancelled');
        assert.equal(await c.t.call('VM.get_power_state', c.s, vm), 'Halted');
        assert.deepEqual(await c.t.call('VM.get_current_operations', c.s, vm), {});
        assert.deepEqual(await ops(vm), haltedOps);
      } finally {
        await control(c.sim.url, 'latency', { method: 'VM.clean_shutdown', ms: 0 });
      }
    });

    it('refuses to unplug a VBD that is not unpluggable, and keeps VBD allowed_operations (xapi_vbd_helpers.ml)', async () => {
      const vm = await newVm(c.t, c.s, 'vbds');
      const [vbd] = await c.t.call('VM.get_VBDs', c.s, vm);
      assert.equal(await c.t.call('VBD.get_unpluggable', c.s, vbd), false, 'a provisioned system disk');
      let e = await xapiError(() => c.t.call('VBD.plug', c.s, vbd));
      assert.deepEqual([e.code, ...e.params], ['VM_BAD_POWER_STATE', vm, 'running', 'halted']);
      assert.deepEqual(await c.t.call('VBD.get_allowed_operations', c.s, vbd), ['attach']);
      await c.t.call('VM.start', c.s, vm, false, false);
      e = await xapiError(() => c.t.call('VBD.unplug', c.s, vbd));
      assert.deepEqual([e.code, ...e.params], ['VBD_NOT_UNPLUGGABLE', vbd]);
      assert.deepEqual(await c.t.call('VBD.get_allowed_operations', c.s, vbd), ['attach', 'pause', 'unpause']);
      e = await xapiError(() => c.t.call('VBD.destroy', c.s, vbd));
      assert.equal(e.code, 'OPERATION_NOT_ALLOWED');
      await c.t.call('VM.hard_shutdown', c.s, vm);
    });
  });
}
