import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isRetryable, isXapiError, XapiError, XapiTransportError } from './xapi-error.js';

describe('error classification', () => {
  it('treats lock contention, session and master moves as retryable XAPI errors', () => {
    for (const code of ['OTHER_OPERATION_IN_PROGRESS', 'TOO_MANY_PENDING_TASKS', 'SESSION_INVALID', 'HOST_IS_SLAVE', 'EVENTS_LOST']) {
      assert.equal(new XapiError(code, [], 'm').retryable, true, code);
    }
  });

  it('treats authentication, bad handles and business errors as final', () => {
    for (const code of [
      'SESSION_AUTHENTICATION_FAILED',
      'HANDLE_INVALID',
      'VM_BAD_POWER_STATE',
      'MEMORY_CONSTRAINT_VIOLATION',
      'NO_HOSTS_AVAILABLE',
      'UUID_INVALID',
    ]) {
      assert.equal(new XapiError(code, [], 'm').retryable, false, code);
    }
  });

  it('treats timeouts, connection failures and gateway errors as retryable transport errors', () => {
    assert.equal(new XapiTransportError('timeout', 't', 'm').retryable, true);
    assert.equal(new XapiTransportError('connection', 'c', 'm', { code: 'ECONNREFUSED' }).retryable, true);
    assert.equal(new XapiTransportError('http', 'h', 'm', { status: 503 }).retryable, true);
    assert.equal(new XapiTransportError('http', 'h', 'm', { status: 500 }).retryable, false);
    assert.equal(new XapiTransportError('protocol', 'p', 'm').retryable, false);
    assert.equal(new XapiTransportError('aborted', 'a', 'm').retryable, false);
  });

  it('builds errors from description lists and checks codes', () => {
    const e = XapiError.fromDescription(['HANDLE_INVALID', 'VM', 'OpaqueRef:x'], 'VM.destroy');
    assert.deepEqual([e.code, e.params, e.method], ['HANDLE_INVALID', ['VM', 'OpaqueRef:x'], 'VM.destroy']);
    assert.match(e.message, /VM.destroy: HANDLE_INVALID \[VM, OpaqueRef:x\]/);
    assert.equal(isXapiError(e, 'HANDLE_INVALID'), true);
    assert.equal(isXapiError(e, 'UUID_INVALID'), false);
    assert.equal(isRetryable(e), false);
    assert.equal(isRetryable(new Error('x')), false);
    assert.equal(XapiError.fromDescription([], 'm').code, 'UNKNOWN_ERROR');
  });
});
