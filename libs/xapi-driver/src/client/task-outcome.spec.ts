import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XapiError } from '../errors/xapi-error.js';
import { decodeTaskResult, isTaskDone, taskOutcome } from './task-outcome.js';

describe('task outcome', () => {
  it('decodes XML-RPC encoded results, on either transport', () => {
    assert.equal(
      decodeTaskResult('<value>OpaqueRef:0f3e3c1a-6d0c-4b7e-a2f4-2b0b1a9c7d55</value>', 'VM.clone'),
      'OpaqueRef:0f3e3c1a-6d0c-4b7e-a2f4-2b0b1a9c7d55',
    );
    assert.equal(decodeTaskResult('<value></value>', 'VM.start'), '');
    assert.equal(decodeTaskResult('', 'VM.start'), '');
    assert.equal(decodeTaskResult(' <value>OpaqueRef:a</value>\n', 'VM.clone'), 'OpaqueRef:a');
  });

  it('normalises decoded results by the method result type', () => {
    assert.equal(decodeTaskResult('<value>1073741824</value>', 'VM.maximise_memory'), 1073741824);
    assert.deepEqual(decodeTaskResult('<value><array><data><value>OpaqueRef:a</value></data></array></value>', 'VM.get_all'), ['OpaqueRef:a']);
  });

  it('maps failure error_info and cancellation to XapiError', () => {
    assert.throws(
      () => taskOutcome({ status: 'failure', error_info: ['NO_HOSTS_AVAILABLE'] }, 'VM.start', 'OpaqueRef:t'),
      (e: unknown) => e instanceof XapiError && e.code === 'NO_HOSTS_AVAILABLE' && e.method === 'VM.start',
    );
    assert.throws(
      () => taskOutcome({ status: 'failure', error_info: ['VM_BAD_POWER_STATE', 'OpaqueRef:v', 'halted', 'running'] }, 'VM.start', 't'),
      (e: unknown) => e instanceof XapiError && e.params.join() === 'OpaqueRef:v,halted,running',
    );
    assert.throws(
      () => taskOutcome({ status: 'cancelled' }, 'VM.clone', 'OpaqueRef:t'),
      (e: unknown) => e instanceof XapiError && e.code === 'TASK_CANCELLED' && e.params[0] === 'OpaqueRef:t',
    );
    assert.equal(taskOutcome({ status: 'success', result: '<value>OpaqueRef:n</value>' }, 'VM.clone', 't'), 'OpaqueRef:n');
  });

  it('knows when a task is finished', () => {
    assert.equal(isTaskDone({ status: 'pending' }), false);
    for (const s of ['success', 'failure', 'cancelled']) assert.equal(isTaskDone({ status: s }), true);
  });
});
