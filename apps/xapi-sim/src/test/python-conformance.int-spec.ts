// Conformance classes as the official Python XenAPI SDK sees them (xapi sources cited per check below):
// gen_server.ml (param defaults, listMethods), xapi_vm_lifecycle.ml (VM_IS_TEMPLATE, allowed_operations,
// VM_BAD_POWER_STATE), message_forwarding.ml (hard_shutdown cancels clean_shutdown), xapi_vbd_helpers.ml
// (VBD_NOT_UNPLUGGABLE), xapi_vm_helpers.ml destroy, xapi_event.ml Token.of_string.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { pythonMissing, pythonSkip, runPythonCheck } from '../testing/python-xenapi.js';
import { haltedOps, runningOps } from '../testing/xapi-expectations.js';

const missing = pythonMissing;

describe('conformance through the official Python XenAPI module', { skip: pythonSkip }, () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator();
  });
  after(() => sim?.close());

  it("sees xapi's answers for defaults, listMethods, operation checks, cancellation, destroy and event tokens", async () => {
    assert.equal(missing, undefined, missing);
    const r = await runPythonCheck('xenapi-conformance-check.py', [sim.url]);
    assert.deepEqual(r.list_methods, { is_list: true, async: 0, has_vm_start: true });
    assert.deepEqual(r.template_start.slice(0, 1).concat(r.template_start.slice(2)), ['VM_IS_TEMPLATE', 'start']);
    assert.deepEqual(r.halted_ops, haltedOps);
    assert.deepEqual(r.running_ops, runningOps);
    assert.notEqual(r.short_snapshot?.[0], 'MESSAGE_PARAMETER_COUNT_MISMATCH', 'VM.snapshot without ignore_vdis is accepted');
    assert.deepEqual(r.short_clone, ['MESSAGE_PARAMETER_COUNT_MISMATCH', 'VM.clone', '2', '1']);
    assert.equal(r.vbd_unplug[0], 'VBD_NOT_UNPLUGGABLE');
    assert.ok(r.hard_shutdown_seconds < 4, `hard_shutdown waited ${r.hard_shutdown_seconds}s`);
    assert.deepEqual(r.clean_task, ['cancelled', ['TASK_CANCELLED', r.task]]);
    assert.deepEqual(r.vifs_left, []);
    assert.equal(r.network_gone[0], 'HANDLE_INVALID');
    assert.deepEqual(r.bad_token, ['EVENT_FROM_TOKEN_PARSE_FAILURE', '12345']);
  });
});
