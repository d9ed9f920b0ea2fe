import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startSimulator, type Simulator } from '../index.js';
import { python, pythonMissing, pythonScript, pythonSkip } from '../testing/python-xenapi.js';
import { JsonRpc, login } from '../testing/xapi-test-client.js';

const script = pythonScript('xenapi-client-check.py');
const missing = pythonMissing;

describe('a second, independent client: the official Python XenAPI module', { skip: pythonSkip }, () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator();
  });
  after(() => sim?.close());

  it('logs in, clones, provisions, starts via an Async task, reads event.from and gets XenAPI.Failure details', async () => {
    assert.equal(missing, undefined, missing);
    const { stdout } = await promisify(execFile)(python, [script, sim.url], { timeout: 60_000 });
    const r = JSON.parse(stdout.trim().split('\n').pop()!);
    assert.deepEqual(r.bad_login, ['SESSION_AUTHENTICATION_FAILED']);
    assert.equal(r.api_version, '2.21');
    assert.equal(r.clone_is_template, true);
    assert.equal(r.clone_other_config, 'Debian Bookworm 12');
    assert.deepEqual(r.provisioned, { is_a_template: false, vbds: 1, memory_static_max: '1073741824' }, 'ints arrive as strings over XML-RPC');
    assert.deepEqual(r.task, { status: 'success', result: '<value></value>', progress: 1.0, name_label: 'Async.VM.start' });
    assert.equal(r.task_destroyed[0], 'HANDLE_INVALID');
    assert.ok(r.events.length === 1 && r.events[0].class === 'vm' && r.events[0].operation === 'mod', JSON.stringify(r.events));
    assert.equal(r.events[0].power_state, 'Running');
    assert.equal(r.event_token_moved, true);
    assert.ok(r.valid_ref_counts_vm >= 7);
    assert.equal(r.power_state, 'Running');
    assert.deepEqual(r.start_running, ['VM_BAD_POWER_STATE', r.vm, 'halted', 'running']);
    assert.deepEqual(r.handle_invalid, ['HANDLE_INVALID', 'VM', 'OpaqueRef:00000000-0000-4000-8000-000000000000']);
    assert.equal(r.map_duplicate[0], 'MAP_DUPLICATE_KEY');
    assert.deepEqual(r.count_mismatch, ['MESSAGE_PARAMETER_COUNT_MISMATCH', 'VM.clone', '2', '1']);
    assert.equal(r.relogin_power_state, 'Running', 'the module re-logged in after SESSION_INVALID');
    const s = await login(new JsonRpc(sim.url));
    assert.deepEqual(await new JsonRpc(sim.url).call('VM.get_by_name_label', s, 'python-vm'), [], 'the script cleaned up');
  });
});
