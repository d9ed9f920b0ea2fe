import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationFailedError, fieldError } from './validation-failed.error.js';

test('a field error is a 400 validation_failed naming the field, its detail "path: message" unless given', () => {
  const e = fieldError('networkIds.1', 'no such active network');
  assert.ok(e instanceof ValidationFailedError);
  assert.deepEqual(
    [e.code, e.status, e.message, e.extra],
    ['validation_failed', 400, 'networkIds.1: no such active network', { errors: [{ path: 'networkIds.1', message: 'no such active network' }] }],
  );
  assert.equal(fieldError('id', 'must be a UUID', 'id must be a UUID').message, 'id must be a UUID');
});

test('several field errors join in the detail; none says the request is invalid', () => {
  const e = new ValidationFailedError([
    { path: 'name', message: 'must be a string' },
    { path: 'cidr', message: 'is required' },
  ]);
  assert.equal(e.message, 'name: must be a string; cidr: is required');
  assert.equal(e.errors.length, 2);
  assert.equal(new ValidationFailedError([]).message, 'invalid request');
});
