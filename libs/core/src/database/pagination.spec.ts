import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '../errors/domain-error.js';
import { decodeCursor, encodeCursor, toPage } from './pagination.js';

test('a cursor round-trips its position exactly', () => {
  const pos = { createdAt: new Date('2026-01-02T03:04:05.678Z'), id: '3f1c1a2e-8d5b-4f7e-9a1b-2c3d4e5f6a7b' };
  assert.deepEqual(decodeCursor(encodeCursor(pos)), pos);
});

test('a forged cursor is a validation error, not a crash', () => {
  for (const bad of ['', 'abc', Buffer.from('notadate|x').toString('base64url')]) {
    assert.throws(() => decodeCursor(bad), (e: unknown) => e instanceof DomainError && e.code === 'validation_failed');
  }
});

test('toPage returns a cursor only when there is more', () => {
  const rows = [1, 2, 3].map((n) => ({ createdAt: new Date(n * 1000), id: `00000000-0000-4000-8000-00000000000${n}` }));
  assert.equal(toPage(rows.slice(0, 2), 2).nextCursor, null);
  const page = toPage(rows, 2);
  assert.equal(page.items.length, 2);
  assert.deepEqual(decodeCursor(page.nextCursor!), rows[1]);
});
