import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { createRedis } from '@xenplane/core';
import { testRedisPrefix } from '@xenplane/testing';
import { RateLimitRepository } from './rate-limit/rate-limit.repository.js';
import { startApi, type ApiHarness } from './testing/api-harness.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const started: ApiHarness[] = [];
after(async () => {
  await Promise.all(started.map((a) => a.close()));
});

/** A client of our own, connected before use (the shared one fails fast instead of queueing). */
async function connectedRedis(): Promise<Redis> {
  const redis = createRedis(REDIS_URL);
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  return redis;
}

async function api(env: Record<string, string>): Promise<ApiHarness> {
  const a = await startApi(env);
  started.push(a);
  return a;
}

describe('the Redis bucket', () => {
  test('allows exactly the burst at once, says when to retry, and refills at the rate', async () => {
    const redis = await connectedRedis();
    try {
      const buckets = new RateLimitRepository(redis);
      // One request a minute: nothing refills while the burst is checked, however slow the machine.
      const key = `${testRedisPrefix()}:bucket`;
      const first = [];
      for (let i = 0; i < 3; i++) first.push(await buckets.take(key, 1, 3));
      assert.deepEqual(
        first.map((d) => [d.allowed, d.remaining]),
        [
          [true, 2],
          [true, 1],
          [true, 0],
        ],
      );
      const refused = await buckets.take(key, 1, 3);
      assert.equal(refused.allowed, false);
      assert.ok(refused.retryAfterMs > 50_000 && refused.retryAfterMs <= 60_000, String(refused.retryAfterMs));
      assert.ok((await redis.pttl(key)) <= 180_000, 'the bucket expires once it would be full again');
      // Ten a second: a spent bucket is usable again after 100 ms.
      const fast = `${testRedisPrefix()}:fast`;
      assert.equal((await buckets.take(fast, 600, 1)).allowed, true);
      await new Promise((r) => setTimeout(r, 150));
      assert.equal((await buckets.take(fast, 600, 1)).allowed, true);
    } finally {
      redis.disconnect();
    }
  });

  test('several buckets are taken from all at once or not at all, and the refusal names the bucket', async () => {
    const redis = await connectedRedis();
    try {
      const buckets = new RateLimitRepository(redis);
      const [key, tenant] = [`${testRedisPrefix()}:key`, `${testRedisPrefix()}:tenant`];
      const both = [
        { key, perMinute: 1, burst: 5 },
        { key: tenant, perMinute: 1, burst: 1 },
      ];
      assert.deepEqual(await buckets.takeAll(both), { allowed: true, retryAfterMs: 0, remaining: 0 });
      const refused = await buckets.takeAll(both);
      assert.equal(refused.allowed, false);
      assert.equal(refused.refusedBy, 1, 'the tenant bucket refused');
      assert.ok(refused.retryAfterMs > 50_000);
      // The refused request took nothing from the key's bucket: 5 - 1 left.
      assert.equal((await buckets.take(key, 1, 5)).remaining, 3);
    } finally {
      redis.disconnect();
    }
  });

  test('concurrent takes through separate connections never exceed the burst', async () => {
    const clients = await Promise.all([connectedRedis(), connectedRedis(), connectedRedis()]);
    try {
      const buckets = clients.map((c) => new RateLimitRepository(c));
      const key = `${testRedisPrefix()}:race`;
      const decisions = await Promise.all(Array.from({ length: 90 }, (_, i) => buckets[i % 3].take(key, 1, 25)));
      assert.equal(decisions.filter((d) => d.allowed).length, 25);
    } finally {
      for (const c of clients) c.disconnect();
    }
  });
});

describe('per-key limits on the API', () => {
  test('over the limit is a 429 problem with Retry-After; other keys, health and metrics are unaffected', async () => {
    const a = await api({ RATE_LIMIT_PER_MINUTE: '1', RATE_LIMIT_BURST: '4' });
    const t = await a.call('POST', '/v1/tenants', { body: { name: 'rl-co' } });
    const admin = (await a.call('POST', `/v1/tenants/${t.body.id}/api-keys`, { body: { name: 'a', role: 'admin' } })).body.token;
    assert.equal((await a.call('GET', '/v1/tenants')).status, 200);
    assert.equal((await a.call('GET', '/v1/tenants')).status, 200);
    const limited = await a.call('POST', '/v1/tenants', { body: { name: 'rl-other' }, headers: { 'x-request-id': 'rl-limited' } });
    assert.equal(limited.status, 429);
    assert.match(limited.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(limited.body.code, 'rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 60, String(retryAfter));
    assert.equal(limited.body.retryAfter, retryAfter);

    assert.equal((await a.call('GET', '/v1/vms', { token: admin })).status, 200, 'another key has its own budget');
    for (let i = 0; i < 10; i++) {
      assert.equal((await a.call('GET', '/health/live', { token: null })).status, 200);
      assert.equal((await a.call('GET', '/v1/tenants', { token: null })).status, 401, 'unauthenticated requests are not charged to any key');
    }
    const metrics = await a.call('GET', '/metrics', { token: null });
    assert.match(metrics.body, /xenplane_rate_limit_decisions_total\{outcome="limited"\} [1-9]/);

    // The refused POST still reached authentication, so it is audited.
    const client = new pg.Client({ connectionString: a.db.url });
    await client.connect();
    try {
      let rows: { status: number; error_code: string }[] = [];
      for (let i = 0; i < 50 && rows.length === 0; i++) {
        rows = (await client.query(`SELECT status, error_code FROM audit_log WHERE request_id = 'rl-limited'`)).rows;
        if (!rows.length) await new Promise((r) => setTimeout(r, 40));
      }
      assert.deepEqual(rows, [{ status: 429, error_code: 'rate_limited' }]);
    } finally {
      await client.end();
    }
  });

  test('the budget is shared by every API replica on the same Redis', async () => {
    const prefix = testRedisPrefix();
    const replicas = [await api({ QUEUE_PREFIX: prefix, RATE_LIMIT_PER_MINUTE: '1', RATE_LIMIT_BURST: '5' })];
    replicas.push(await api({ QUEUE_PREFIX: prefix, RATE_LIMIT_PER_MINUTE: '1', RATE_LIMIT_BURST: '5' }));
    // The bootstrap operator key has the same id on every replica, so both count it in one bucket.
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => replicas[i % 2].call('GET', '/v1/flavors')));
    assert.equal(answers.filter((r) => r.status === 200).length, 5);
    assert.equal(answers.filter((r) => r.status === 429).length, 11);
  });

  test("a tenant's keys share one budget beside each key's own, so minting keys does not multiply its rate", async () => {
    const a = await api({ RATE_LIMIT_PER_MINUTE: '1', RATE_LIMIT_BURST: '100', RATE_LIMIT_TENANT_PER_MINUTE: '1', RATE_LIMIT_TENANT_BURST: '6' });
    const tenantKeys = async (name: string, n: number) => {
      const t = await a.call('POST', '/v1/tenants', { body: { name } });
      const keys: string[] = [];
      for (let i = 0; i < n; i++)
        keys.push((await a.call('POST', `/v1/tenants/${t.body.id}/api-keys`, { body: { name: `k${i}`, role: 'member' } })).body.token);
      return keys;
    };
    const many = await tenantKeys('rl-many-keys', 3);
    const other = await tenantKeys('rl-other-tenant', 1);
    const statuses: number[] = [];
    let refused: { body: { detail: string; limit: number }; headers: Headers } | undefined;
    for (let i = 0; i < 12; i++) {
      const r = await a.call('GET', '/v1/vms', { token: many[i % 3] });
      statuses.push(r.status);
      if (r.status === 429) refused ??= r;
    }
    assert.deepEqual(statuses, [...Array(6).fill(200), ...Array(6).fill(429)]);
    assert.match(refused!.body.detail, /tenant/);
    assert.equal(refused!.body.limit, 1);
    assert.ok(Number(refused!.headers.get('retry-after')) > 0);
    assert.equal((await a.call('GET', '/v1/vms', { token: other[0] })).status, 200, 'another tenant has its own budget');
    assert.equal((await a.call('GET', '/v1/tenants')).status, 200, 'operators have no tenant budget');
    assert.match((await a.call('GET', '/metrics', { token: null })).body, /xenplane_rate_limit_decisions_total\{outcome="tenant_limited"\} [1-9]/);
  });

  test("unset, the tenant budget is four keys' worth of the per-key one", async () => {
    const a = await api({ RATE_LIMIT_PER_MINUTE: '1', RATE_LIMIT_BURST: '5' });
    const t = await a.call('POST', '/v1/tenants', { body: { name: 'rl-default-tenant' } });
    const keys: string[] = [];
    for (let i = 0; i < 3; i++)
      keys.push((await a.call('POST', `/v1/tenants/${t.body.id}/api-keys`, { body: { name: `k${i}`, role: 'member' } })).body.token);
    assert.ok(keys.every((k) => k?.startsWith('xpk_')));
    // Three keys with a burst of 5 each could send 9 at once; the tenant's default (4 a minute, burst 4) lets 4 through.
    const answers = await Promise.all(Array.from({ length: 9 }, (_, i) => a.call('GET', '/v1/vms', { token: keys[i % 3] })));
    assert.equal(answers.filter((r) => r.status === 200).length, 4);
  });

  test('RATE_LIMIT_PER_MINUTE=0 turns limiting off', async () => {
    const a = await api({ RATE_LIMIT_PER_MINUTE: '0' });
    const answers = await Promise.all(Array.from({ length: 30 }, () => a.call('GET', '/v1/flavors')));
    assert.ok(answers.every((r) => r.status === 200));
  });

  test('with Redis down the API fails open: requests are served, and the miss is counted', async () => {
    const a = await api({ REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_PER_MINUTE: '1', RATE_LIMIT_BURST: '1' });
    const before = await failedOpen(a);
    for (let i = 0; i < 3; i++) {
      const r = await a.call('POST', '/v1/flavors', { body: { name: `rl-open-${randomUUID().slice(0, 8)}`, vcpus: 1, memoryMiB: 256, diskGiB: 1 } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    assert.equal(await failedOpen(a), before + 3);
    assert.equal((await a.call('GET', '/health/ready', { token: null })).status, 503, 'readiness still reports Redis down');
  });
});

async function failedOpen(a: ApiHarness): Promise<number> {
  const text = (await a.call('GET', '/metrics', { token: null })).body as string;
  return Number(/xenplane_rate_limit_decisions_total\{outcome="failed_open"\} (\d+)/.exec(text)?.[1] ?? 0);
}
