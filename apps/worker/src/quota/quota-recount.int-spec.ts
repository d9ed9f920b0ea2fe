import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AdvisoryLocks, createLogger } from '@xenplane/core';
import { startQuotaFixture, type QuotaFixture } from '@xenplane/tenancy/testing';
import type { WorkerConfig } from '../config/worker-env.js';
import { QuotaRecountService } from './quota-recount.service.js';

let fx: QuotaFixture;
before(async () => {
  fx = await startQuotaFixture();
});
after(async () => {
  await fx?.close();
});

test('the periodic recount corrects drift, and skips its pass while another worker holds the lock', async () => {
  const recounter = new QuotaRecountService(
    fx.quota,
    new AdvisoryLocks(fx.ds),
    { QUOTA_RECOUNT_INTERVAL_MS: 300_000 } as WorkerConfig,
    createLogger('test', 'silent'),
  );
  const tenantId = await fx.tenant();
  await fx.ds.query(`UPDATE tenant_quotas SET vcpus_used = 7 WHERE tenant_id = $1`, [tenantId]);

  const other = fx.ds.createQueryRunner();
  await other.connect();
  try {
    await other.query(`SELECT pg_advisory_lock(hashtextextended('quota-recount', 0))`);
    await recounter.kick();
    assert.equal((await fx.stored(tenantId)).used.vcpus, 7, 'another worker owns this pass');
    await other.query(`SELECT pg_advisory_unlock(hashtextextended('quota-recount', 0))`);
  } finally {
    await other.release();
  }
  await recounter.kick();
  assert.equal((await fx.stored(tenantId)).used.vcpus, 0);
  await recounter.onApplicationShutdown();
});
