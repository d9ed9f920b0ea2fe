// A job that fails in the database records and logs what failed, never the values of the failed query (the detail
// is shown to the tenant on the operation and written to the worker's log by both failure paths).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DataSource, QueryFailedError } from 'typeorm';
import { createLogger } from '@xenplane/core';
import { createTestDatabase, type TestDatabase } from '@xenplane/testing';
import { classify } from './job-failure.js';

let db: TestDatabase;
let ds: DataSource;

before(async () => {
  db = await createTestDatabase();
  ds = await new DataSource({ type: 'postgres', url: db.url }).initialize();
});
after(async () => {
  await ds?.destroy();
  await db?.drop();
});

test('real query failures: classified and logged with their code, without their parameters', async () => {
  const secret = `secret-${randomUUID()}`;
  const tenantId = randomUUID();
  await ds.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [tenantId, secret]);
  const failures: [string, string, unknown[]][] = [
    ['22P02', 'SELECT $1::uuid', [secret]],
    ['22007', 'SELECT $1::timestamptz', [secret]],
    ['22021', 'INSERT INTO tenants (id, name) VALUES ($1, $2)', [randomUUID(), `${secret}\u0000`]],
    ['23505', 'INSERT INTO tenants (id, name) VALUES ($1, $2)', [randomUUID(), secret.toUpperCase()]],
    ['23514', 'UPDATE tenants SET status = $2 WHERE id = $1', [tenantId, secret]],
  ];
  const lines: string[] = [];
  const logger = createLogger('worker', 'info', { write: (line: string) => void lines.push(line) });
  for (const [code, sql, params] of failures) {
    const err = await ds.query(sql, params).then(
      () => assert.fail(`${sql} succeeded`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof QueryFailedError);
    // The error itself carries the values (so this test would see a leak): the parameters, and for some the message.
    assert.ok(JSON.stringify(err).toLowerCase().includes(secret.toLowerCase()));
    const failure = classify(err);
    assert.equal(failure.code, 'internal');
    assert.ok(!failure.detail.toLowerCase().includes(secret.toLowerCase()), `${code}: ${failure.detail}`);
    logger.warn({ err, detail: failure.detail }, 'operation attempt failed; will retry');
    const line = JSON.parse(lines.at(-1)!) as { err: { code: string; message: string } };
    assert.equal(line.err.code, code);
    assert.ok(line.err.message.length > 10);
  }
  assert.ok(!lines.join('\n').toLowerCase().includes(secret.toLowerCase()), lines.join('\n'));
});
