import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataSource } from 'typeorm';
import { AdvisoryLocks, IdempotencyRepository, createLogger } from '@xenplane/core';
import { createTestDatabase, type TestDatabase } from '@xenplane/testing';
import type { WorkerConfig } from '../config/worker-env.js';
import { IdempotencyPurgeService } from './idempotency-purge.service.js';

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

async function key(k: string, createdHoursAgo: number, completedHoursAgo: number | null): Promise<void> {
  await ds.query(
    `INSERT INTO idempotency_keys (scope, key, request_hash, status_code, created_at, completed_at)
     VALUES ('key:test', $1, '\\x00', CASE WHEN $3::int IS NULL THEN NULL ELSE 201 END,
             now() - make_interval(hours => $2), now() - make_interval(hours => $3::int))`,
    [k, createdHoursAgo, completedHoursAgo],
  );
}

test('keys whose request ended before the retention are forgotten; recent and in-flight ones stay', async () => {
  await key('old-done', 30, 29);
  await key('old-abandoned', 30, null);
  await key('started-old-done-recently', 30, 1);
  await key('recent', 2, 2);
  await key('in-flight', 0, null);
  const purger = new IdempotencyPurgeService(
    ds,
    new IdempotencyRepository(),
    new AdvisoryLocks(ds),
    { IDEMPOTENCY_RETENTION_HOURS: 24 } as WorkerConfig,
    createLogger('test', 'silent'),
  );
  await purger.kick();
  const left = (await ds.query<{ key: string }[]>(`SELECT key FROM idempotency_keys ORDER BY key`)).map((r) => r.key);
  assert.deepEqual(left, ['in-flight', 'recent', 'started-old-done-recently']);
  await purger.onApplicationShutdown();
});
