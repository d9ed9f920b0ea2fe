import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VM_STATUSES } from '../database/entities/vm.entity.js';
import { allowedActions, derivedUuid, isActionAllowed } from './vm-lifecycle.js';

test('a running VM can be stopped, rebooted, resized, migrated (operators) or deleted but not started', () => {
  assert.deepEqual(allowedActions('running').sort(), ['delete', 'migrate', 'reboot', 'resize', 'stop']);
});

test('a stopped VM can be started, resized or deleted', () => {
  assert.deepEqual(allowedActions('stopped').sort(), ['delete', 'resize', 'start']);
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

test('derived ids are stable, distinct per label and valid UUIDs', () => {
  const base = '3f1c1a2e-8d5b-4f7e-9a1b-2c3d4e5f6a7b';
  assert.equal(derivedUuid(base, 'revert'), derivedUuid(base, 'revert'));
  assert.notEqual(derivedUuid(base, 'revert'), derivedUuid(base, 'other'));
  assert.match(derivedUuid(base, 'revert'), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
