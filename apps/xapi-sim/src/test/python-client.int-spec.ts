import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type Simulator } from '../index.js';
import { pythonMissing, pythonSkip, runPythonCheck } from '../testing/python-xenapi.js';
import { JsonRpc, login } from '../testing/xapi-test-client.js';

const missing = pythonMissing;

describe('a second, independent client: the official Python XenAPI module', { skip: pythonSkip }, () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator();
  });
  after(() => sim?.close());

  it('logs in, clones, provisions, starts via an Async task, reads event.from and gets XenAPI.Failure details', async () => {
    assert.equal(missing, undefined, missing);
    const r = await runPythonCheck('xenapi-client-check.py', [sim.url]);
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

  // Consoles (ocaml/xapi/console.ml, xapi_xenops.ml), migration (message_forwarding.ml, xapi_vm_migrate.ml) and
  // evacuation (xapi_host.ml) as the official module drives them.
  it('reads and connects to a console, migrates live, checks a migration and evacuates a host', async () => {
    assert.equal(missing, undefined, missing);
    const r = await runPythonCheck('xenapi-client-check.py', [sim.url, 'maintenance']);
    assert.equal(r.console.protocol, 'rfb');
    assert.equal(r.console.location, `http://127.0.0.1:${sim.port}/console?uuid=${r.console.uuid}`);
    assert.deepEqual(r.console_connect, ['HTTP/1.1 200 OK', 'RFB 003.008\n']);
    assert.equal(r.console_bad_session, 'HTTP/1.0 401 Unauthorised');
    assert.equal(r.allowed, true);
    assert.deepEqual(r.migrate_task, { status: 'success', name_label: 'Async.VM.pool_migrate' });
    assert.equal(r.resident_on_h2, true);
    assert.match(r.console_moved, new RegExp(`^http://127\\.0\\.0\\.2:${sim.port}/console\\?uuid=`));
    assert.equal(r.not_in_map, 'VDI_NOT_IN_MAP');
    assert.equal(r.can_migrate, '');
    assert.deepEqual(r.prevents, { [r.vm]: ['VM_BAD_POWER_STATE', r.vm, 'running', 'paused'] });
    assert.deepEqual(r.cannot_evacuate, ['CANNOT_EVACUATE_HOST', `VM_BAD_POWER_STATE,${r.vm},running,paused`]);
    assert.equal(r.disabled_start[0], 'HOST_DISABLED');
    assert.deepEqual(r.evacuate, { status: 'success', progress: 1.0, vm_on_h1: true });
    assert.deepEqual(r.consoles_after_shutdown, []);
  });
});
