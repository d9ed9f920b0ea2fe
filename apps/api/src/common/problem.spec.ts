import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { DomainError } from '@xenplane/core';
import { toProblem } from './problem.js';

test('a domain error keeps its code, status and extra fields', () => {
  const p = toProblem(new DomainError('quota_exceeded', 'no room', { resource: 'vcpus', limit: 4, used: 4, requested: 2 }));
  assert.equal(p.status, 409);
  assert.equal(p.code, 'quota_exceeded');
  assert.equal(p.limit, 4);
  assert.match(p.type, /quota_exceeded$/);
});

test('an unknown error is a 500 that says nothing of its internals', () => {
  const p = toProblem(new TypeError('cannot read properties of undefined (reading "secret")'));
  assert.equal(p.status, 500);
  assert.equal(p.code, 'internal');
  assert.doesNotMatch(JSON.stringify(p), /secret|TypeError|stack/);
});

test('framework HTTP errors map onto our codes', () => {
  assert.equal(toProblem(new NotFoundException()).code, 'not_found');
  assert.equal(toProblem(new BadRequestException('bad')).code, 'validation_failed');
  assert.equal(toProblem(new PayloadTooLargeException()).status, 413);
});
