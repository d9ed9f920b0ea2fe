// Authentication at the edge (issue 11): where a token may come from, what a refusal says, and what failed
// authentication costs (a counter and a sampled log line, a per-address budget, never an audit row).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { pino } from 'pino';
import { startApi, type ApiHarness } from './testing/api-harness.js';

const started: ApiHarness[] = [];
after(async () => {
  await Promise.all(started.map((a) => a.close()));
});

async function api(env: Record<string, string> = {}, logger?: pino.Logger): Promise<ApiHarness> {
  const a = await startApi(env, { logger });
  started.push(a);
  return a;
}

async function tenantKey(a: ApiHarness, name: string): Promise<{ tenantId: string; token: string }> {
  const t = await a.call('POST', '/v1/tenants', { body: { name } });
  const k = await a.call('POST', `/v1/tenants/${t.body.id}/api-keys`, { body: { name: 'admin', role: 'admin' } });
  return { tenantId: t.body.id, token: k.body.token };
}

/** The value of one sample of a counter on /metrics (0 when absent). */
async function metric(a: ApiHarness, series: string): Promise<number> {
  const text = (await a.call('GET', '/metrics', { token: null })).body as string;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('where a token may come from', () => {
  let a: ApiHarness;
  let key: { tenantId: string; token: string };
  before(async () => {
    a = await api();
    key = await tenantKey(a, 'auth-where');
  });

  test('the Authorization header works', async () => {
    assert.equal((await a.call('GET', '/v1/vms', { token: key.token })).status, 200);
  });

  test('a valid token in ?access_token= is refused, saying where tokens go', async () => {
    const r = await a.call('GET', `/v1/vms?access_token=${encodeURIComponent(key.token)}`, { token: null });
    assert.equal(r.status, 401, JSON.stringify(r.body));
    assert.equal(r.body.code, 'unauthenticated');
    assert.match(r.body.detail, /Authorization header only/);
    assert.ok(!JSON.stringify(r.body).includes(key.token));
  });

  test('a valid token in an access_token body field is refused', async () => {
    const r = await a.call('POST', '/v1/networks', { token: null, body: { access_token: key.token, name: 'n', cidr: '10.5.0.0/24' } });
    assert.equal(r.status, 401, JSON.stringify(r.body));
    assert.match(r.body.detail, /Authorization header only/);
    assert.equal((await a.call('GET', '/v1/networks', { token: key.token })).body.items.length, 0, 'nothing was created');
  });

  test('401 answers carry a Bearer challenge (invalid_token when a token was sent)', async () => {
    const none = await a.call('GET', '/v1/vms', { token: null });
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="xenplane"');
    const bad = await a.call('GET', '/v1/vms', { token: 'xpk_0123456789abcdef_not-a-real-secret-at-all-not-a-real-secret-a' });
    assert.equal(bad.status, 401);
    assert.equal(bad.headers.get('www-authenticate'), 'Bearer realm="xenplane", error="invalid_token"');
    assert.equal((await a.call('GET', '/v1/vms', { token: key.token })).headers.get('www-authenticate'), null);
  });
});

describe('failed authentication', () => {
  test('a burst writes no audit rows, gets 429 past the per-address limit, and is counted and sampled', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      {
        write: (l: string) => {
          lines.push(JSON.parse(l) as Record<string, unknown>);
        },
      },
    );
    const a = await api({ RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '1', RATE_LIMIT_UNAUTHENTICATED_BURST: '20' }, logger);
    const key = await tenantKey(a, 'auth-burst');
    const series = (reason: string, answer: string) => `xenplane_auth_failures_total{reason="${reason}",answer="${answer}"}`;
    const before = await Promise.all(
      [series('missing', '401'), series('invalid', '401'), series('missing', '429'), series('invalid', '429')].map((s) => metric(a, s)),
    );

    // Under load a budget check can miss its 250 ms and fail open (by design: Redis holds no truth); those answer 401.
    const failedOpen = () => metric(a, 'xenplane_rate_limit_decisions_total{outcome="failed_open"}');
    const openBefore = await failedOpen();
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        a.call('POST', '/v1/tenants', { token: i % 2 ? `nope-${i}` : null, body: { name: `flood-${i}` }, headers: { 'x-request-id': `flood-${i}` } }),
      ),
    );
    const byStatus = answers.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
    // A check that failed open answered 401 whether or not Redis still took its token: between 20 and 20 + open.
    const open = (await failedOpen()) - openBefore;
    const passed = byStatus[401] ?? 0;
    assert.ok(passed >= 20 && passed <= 20 + open, `${passed} got through (20 + ${open} that failed open at most)`);
    assert.deepEqual(byStatus, { 401: passed, 429: 200 - passed });
    for (const r of answers.filter((x) => x.status === 429)) {
      assert.equal(r.body.code, 'rate_limited');
      assert.ok(Number(r.headers.get('retry-after')) > 0);
    }
    const after = await Promise.all(
      [series('missing', '401'), series('invalid', '401'), series('missing', '429'), series('invalid', '429')].map((s) => metric(a, s)),
    );
    const delta = after.map((v, i) => v - before[i]);
    assert.equal(delta[0] + delta[1], passed);
    assert.equal(delta[2] + delta[3], 200 - passed);
    assert.equal(delta[0] + delta[2], 100, 'half sent no token');

    // A valid key from the same address is never charged to, nor refused by, the address's budget.
    assert.equal((await a.call('GET', '/v1/vms', { token: key.token })).status, 200);
    const db = new pg.Client({ connectionString: a.db.url });
    await db.connect();
    try {
      await new Promise((r) => setTimeout(r, 200));
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM audit_log WHERE request_id LIKE 'flood-%' OR status IN (401, 429)`);
      assert.equal(rows[0].n, 0);
      assert.equal((await db.query(`SELECT count(*)::int AS n FROM tenants WHERE name LIKE 'flood-%'`)).rows[0].n, 0);
    } finally {
      await db.end();
    }
    const sampled = lines.filter((l) => String(l.msg).startsWith('failed authentication'));
    assert.ok(sampled.length >= 1 && sampled.length <= 2, `${sampled.length} log lines for 200 failures`);
    assert.equal(sampled[0].address, '127.0.0.1');
  });

  test('each client address has its own budget, and X-Forwarded-For counts only from a trusted proxy', async () => {
    const send = (a: ApiHarness, forwardedFor: string) => a.call('GET', '/v1/vms', { token: null, headers: { 'x-forwarded-for': forwardedFor } });
    const direct = await api({ RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '1', RATE_LIMIT_UNAUTHENTICATED_BURST: '3' });
    const spoofed = [];
    for (let i = 0; i < 6; i++) spoofed.push((await send(direct, `203.0.113.${i}`)).status);
    assert.deepEqual(spoofed, [401, 401, 401, 429, 429, 429], 'without TRUST_PROXY a forged header buys nothing');

    const proxied = await api({ RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '1', RATE_LIMIT_UNAUTHENTICATED_BURST: '3', TRUST_PROXY: 'loopback' });
    const one = [];
    for (let i = 0; i < 4; i++) one.push((await send(proxied, '198.51.100.7')).status);
    assert.deepEqual(one, [401, 401, 401, 429]);
    assert.equal((await send(proxied, '198.51.100.8')).status, 401, 'another client behind the proxy has its own budget');
  });

  test('RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE=0 turns the per-address limit off', async () => {
    const a = await api({ RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '0' });
    const answers = await Promise.all(Array.from({ length: 30 }, () => a.call('GET', '/v1/vms', { token: null })));
    assert.ok(answers.every((r) => r.status === 401));
  });
});
