import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '../errors/domain-error.js';
import { decodeCursor, encodeCursor, toPage } from './pagination.js';

test('a cursor round-trips its position exactly', () => {
  const pos = { createdAt: new Date('2026-01-02T03:04:05.678Z'), id: '3f1c1a2e-8d5b-4f7e-9a1b-2c3d4e5f6a7b' };
  assert.deepEqual(decodeCursor(encodeCursor(pos)), pos);
});

test('a forged cursor is a validation error, not a crash', () => {
  const id = '3f1c1a2e-8d5b-4f7e-9a1b-2c3d4e5f6a7b';
  const forged = [
    `2026-01-02T03:04:05.678Z|${'-'.repeat(36)}`, // the shape of a UUID to a loose check, not to Postgres
    `-271821-04-20T00:00:00.000Z|${id}`, // a JS date Postgres cannot store
    `+275760-09-13T00:00:00.000Z|${id}`,
    `2026-02-30T00:00:00.000Z|${id}`, // Date would shift it to March
    `2026-01-02T03:04:05Z|${id}`,
    `2026-01-02T03:04:05.678Z|${id.toUpperCase()}`,
    `2026-01-02T03:04:05.678Z|${id}|x`,
  ].map((s) => Buffer.from(s).toString('base64url'));
  const issued = encodeCursor({ createdAt: new Date('2026-01-02T03:04:05.678Z'), id });
  for (const bad of ['', 'abc', Buffer.from('notadate|x').toString('base64url'), ...forged, `${issued}==`, `${issued}\u0000`, 'x'.repeat(4000)]) {
    assert.throws(
      () => decodeCursor(bad),
      (e: unknown) => e instanceof DomainError && e.code === 'validation_failed',
    );
  }
});

test('toPage returns a cursor only when there is more', () => {
  const rows = [1, 2, 3].map((n) => ({ createdAt: new Date(n * 1000), id: `00000000-0000-4000-8000-00000000000${n}` }));
  assert.equal(toPage(rows.slice(0, 2), 2).nextCursor, null);
  const page = toPage(rows, 2);
  assert.equal(page.items.length, 2);
  assert.deepEqual(decodeCursor(page.nextCursor!), rows[1]);
});
