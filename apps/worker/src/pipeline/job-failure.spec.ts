import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XapiError, XapiTransportError } from '@xenplane/xapi-driver';
import { SagaError, classify } from './job-failure.js';

const xapi = (code: string, ...params: string[]) => new XapiError(code, params, 'VM.start');

test('what the saga itself found is final, with its own code', () => {
  assert.deepEqual(classify(new SagaError('network_unavailable', 'gone')), { terminal: true, code: 'network_unavailable', detail: 'gone' });
});

test('XAPI codes a tenant can act on get their code; capacity is final even though XAPI may retry it', () => {
  assert.deepEqual(classify(xapi('HOST_NOT_ENOUGH_FREE_MEMORY', '1024', '512')), {
    terminal: true,
    code: 'no_capacity',
    detail: 'HOST_NOT_ENOUGH_FREE_MEMORY 1024 512',
  });
  assert.equal(classify(xapi('SR_FULL')).code, 'no_storage');
  assert.equal(classify(xapi('TEMPLATE_NOT_FOUND', 'Debian')).code, 'template_missing');
  assert.equal(classify(xapi('LIVE_RESIZE_EXCEEDS_MAXIMUM')).code, 'requires_stop');
});

test('a UUID_INVALID is not a missing template unless the template step says so', () => {
  assert.deepEqual(classify(xapi('UUID_INVALID', 'network', 'x')), { terminal: true, code: 'xapi_error', detail: 'UUID_INVALID network x' });
});

test('transient XAPI conditions and transport failures are retried', () => {
  for (const code of ['OTHER_OPERATION_IN_PROGRESS', 'HOST_OFFLINE', 'SESSION_INVALID']) assert.equal(classify(xapi(code)).terminal, false, code);
  const lost = classify(new XapiTransportError('connection', 'ECONNRESET', 'VM.start', {}));
  assert.deepEqual([lost.terminal, lost.code], [false, 'internal']);
});
