import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VM_STATUSES } from '../database/entities/vm.entity.js';
import { allowedActions, isActionAllowed } from './vm-lifecycle.js';

test('a running VM can be stopped, rebooted or deleted but not started', () => {
  assert.deepEqual(allowedActions('running').sort(), ['delete', 'reboot', 'stop']);
});

test('a stopped VM can be started or deleted', () => {
  assert.deepEqual(allowedActions('stopped').sort(), ['delete', 'start']);
});

test('nothing may act on a VM that is still being created, deleted, or is gone', () => {
  for (const s of ['pending', 'provisioning', 'deleting', 'deleted'] as const) assert.deepEqual(allowedActions(s), [], s);
});

test('a VM in error can only be deleted', () => {
  assert.deepEqual(allowedActions('error'), ['delete']);
  assert.equal(isActionAllowed('error', 'start'), false);
});

test('every status is covered by the table', () => {
  for (const s of VM_STATUSES) assert.ok(Array.isArray(allowedActions(s)));
});
