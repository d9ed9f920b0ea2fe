// The event stream (issue 19): commit-ordered ids, resume with Last-Event-ID, tenant isolation, nothing from a
// rolled-back change, live delivery through the hub, the web session's cookie, unnamed frames for EventSource, the
// per-key and per-tenant stream limits; and the webhook routes (secret once and sealed at rest, URL rules, the cap).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { OPERATOR_TOKEN, startApi, tenantWithKey, type ApiHarness } from './testing/api-harness.js';

interface Ev {
  id: number;
  type: string;
  tenantId: string | null;
  resourceId: string;
  data: Record<string, unknown>;
}

let api: ApiHarness;
let db: pg.Client;
let A: { id: string; token: string };
let B: { id: string; token: string };

/** The backlog after `from` as the stream sends it with ?follow=false. */
async function backlog(token: string, headers: Record<string, string> = {}, query = ''): Promise<{ status: number; events: Ev[]; raw: string }> {
  const res = await fetch(`${api.url}/v1/events?follow=false${query}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  const raw = await res.text();
  const events = raw
    .split('\n\n')
    .map((block) => block.split('\n').find((l) => l.startsWith('data: ')))
    .filter((l): l is string => !!l)
    .map((l) => JSON.parse(l.slice(6)) as Ev);
  return { status: res.status, events, raw };
}

before(async () => {
  api = await startApi({
    EVENTS_HEARTBEAT_MS: '200',
    EVENTS_MAX_STREAMS_PER_KEY: '2',
    EVENTS_MAX_STREAMS_PER_TENANT: '3',
    WEBHOOKS_MAX_PER_TENANT: '2',
  });
  db = new pg.Client({ connectionString: api.db.url });
  await db.connect();
  A = await tenantWithKey(api, 'ev-a');
  B = await tenantWithKey(api, 'ev-b');
});
after(async () => {
  await db?.end();
  await api?.close();
});

describe('GET /v1/events', () => {
  test("a tenant's changes are events in commit order; Last-Event-ID resumes after one; B never sees A's", async () => {
    const start = (await backlog(A.token, {}, '&after=0')).events.at(-1)?.id ?? 0;
    const net = await api.call('POST', '/v1/networks', { token: A.token, body: { name: 'ev-net', cidr: '10.7.0.0/24' } });
    assert.equal(net.status, 202, JSON.stringify(net.body));
    const netB = await api.call('POST', '/v1/networks', { token: B.token, body: { name: 'ev-net-b', cidr: '10.8.0.0/24' } });
    assert.equal(netB.status, 202);
    // As a worker would: the operation runs, steps, and the network becomes active, in separate commits.
    const opId = net.body.operation.id as string;
    await db.query(`UPDATE operations SET status = 'running', attempts = 1 WHERE id = $1`, [opId]);
    await db.query(`UPDATE operations SET step = 'network-made' WHERE id = $1`, [opId]);
    await db.query('BEGIN');
    await db.query(`UPDATE networks SET status = 'active' WHERE id = $1`, [net.body.network.id]);
    await db.query(`UPDATE operations SET status = 'succeeded' WHERE id = $1`, [opId]);
    await db.query('COMMIT');

    const mine = (await backlog(A.token, { 'Last-Event-ID': String(start) })).events;
    assert.deepEqual(
      mine.map((e) => e.type),
      ['network.pending', 'operation.accepted', 'operation.running', 'operation.step', 'network.active', 'operation.succeeded'],
    );
    assert.ok(
      mine.every((e, i) => i === 0 || e.id > mine[i - 1].id),
      'ids increase',
    );
    assert.ok(mine.every((e) => e.tenantId === A.id));
    assert.equal(mine[3].data.step, 'network-made');
    assert.equal(mine[4].data.previousStatus, 'pending');

    const resumed = (await backlog(A.token, { 'Last-Event-ID': String(mine[2].id) })).events;
    assert.deepEqual(resumed, mine.slice(3), 'a reconnect gets exactly what came after its last id');

    const theirs = (await backlog(B.token, {}, '&after=0')).events;
    assert.ok(theirs.length > 0);
    assert.ok(
      theirs.every((e) => e.tenantId === B.id),
      'B sees only its own',
    );
    assert.ok(!JSON.stringify(theirs).includes(net.body.network.id));
    assert.equal((await backlog(B.token, {}, `&after=0&tenantId=${A.id}`)).status, 404, "B naming A's tenant is 404");

    const op = (await backlog(OPERATOR_TOKEN, {}, `&after=${start}`)).events;
    assert.ok(op.some((e) => e.tenantId === A.id) && op.some((e) => e.tenantId === B.id), 'an operator sees every tenant');
    const onlyA = (await backlog(OPERATOR_TOKEN, {}, `&after=${start}&tenantId=${A.id}`)).events;
    assert.deepEqual(onlyA, mine);
    const typed = (await backlog(A.token, { 'Last-Event-ID': String(start) }, '&types=operation.s,network.active')).events;
    assert.deepEqual(
      typed.map((e) => e.type),
      ['operation.step', 'network.active', 'operation.succeeded'],
    );
  });

  test('a rolled-back change emits nothing; a change whose transaction commits late still comes after what it waited behind', async () => {
    const head = (await backlog(A.token, {}, '&after=0')).events.at(-1)!.id;
    const net = (await api.call('GET', '/v1/networks', { token: A.token })).body.items[0];
    await db.query('BEGIN');
    await db.query(`UPDATE networks SET status = 'error' WHERE id = $1`, [net.id]);
    await db.query('ROLLBACK');
    assert.deepEqual((await backlog(A.token, { 'Last-Event-ID': String(head) })).events, []);

    // A transaction that changed a row first but commits last gets the larger id: ids are commit order.
    const late = new pg.Client({ connectionString: api.db.url });
    await late.connect();
    await late.query('BEGIN');
    await late.query(`UPDATE networks SET status = 'deleting' WHERE id = $1`, [net.id]);
    const vol = await api.call('POST', '/v1/volumes', { token: A.token, body: { name: 'ev-vol', sizeGiB: 1 } });
    assert.equal(vol.status, 202, JSON.stringify(vol.body));
    const before = (await backlog(A.token, { 'Last-Event-ID': String(head) })).events;
    await late.query('COMMIT');
    await late.end();
    const afterCommit = (await backlog(A.token, { 'Last-Event-ID': String(head) })).events;
    assert.deepEqual(afterCommit.slice(0, before.length), before, 'nothing appears before what a reader already had');
    assert.equal(afterCommit.at(-1)!.type, 'network.deleting');
  });

  test('a live stream gets new events without reconnecting, beats heartbeats, and refuses a malformed Last-Event-ID', async () => {
    const bad = await fetch(`${api.url}/v1/events`, { headers: { authorization: `Bearer ${A.token}`, 'last-event-id': 'abc' } });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { code: string }).code, 'validation_failed');

    const ctl = new AbortController();
    const res = await fetch(`${api.url}/v1/events`, { headers: { authorization: `Bearer ${A.token}` }, signal: ctl.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const until = async (what: RegExp) => {
      while (!what.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${String(what)}: ${text}`);
        text += Buffer.from(value).toString();
      }
    };
    await until(/retry: 3000/);
    const kp = await api.call('POST', '/v1/volumes', { token: A.token, body: { name: 'ev-live', sizeGiB: 1 } });
    assert.equal(kp.status, 202);
    await until(new RegExp(`"resourceId":"${kp.body.volume.id as string}"`));
    await until(/: keep-alive/);
    assert.ok(!text.includes(B.id), "no B event on A's stream");
    ctl.abort();
  });
});

/** Opens a live stream; resolves once the server has answered, with a reader of its text and its closer. */
async function openStream(headers: Record<string, string>, query = '') {
  const ctl = new AbortController();
  const res = await fetch(`${api.url}/v1/events${query}`, { headers, signal: ctl.signal });
  let text = '';
  const reader = res.body?.getReader();
  const until = async (what: RegExp) => {
    while (!what.test(text)) {
      const { value, done } = await reader!.read();
      if (done) throw new Error(`stream ended before ${String(what)}: ${text}`);
      text += Buffer.from(value).toString();
    }
    return text;
  };
  return { res, until, close: () => ctl.abort() };
}

describe('GET /v1/events for the web console and its limits', () => {
  test("a web session's cookie opens the stream; ?named=false sends frames with no event line (an EventSource's onmessage gets them)", async () => {
    const key = await api.call('POST', `/v1/tenants/${A.id}/api-keys`, { body: { name: 'browser', role: 'member' } });
    const login = await api.call('POST', '/v1/sessions', { token: null, body: { apiKey: key.body.token } });
    assert.equal(login.status, 201, JSON.stringify(login.body));
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const s = await openStream({ cookie }, '?named=false');
    assert.equal(s.res.status, 200);
    await s.until(/retry: 3000/);
    const vol = await api.call('POST', '/v1/volumes', { token: A.token, body: { name: 'ev-cookie', sizeGiB: 1 } });
    assert.equal(vol.status, 202);
    const text = await s.until(new RegExp(`"resourceId":"${vol.body.volume.id as string}"`));
    s.close();
    assert.ok(!/^event:/m.test(text), 'no frame names its event');
    assert.match(text, /^id: \d+\ndata: \{"id":\d+,"type":"volume\.pending"/m);
    const noCookie = await fetch(`${api.url}/v1/events`);
    assert.equal(noCookie.status, 401);
  });

  test('one stream over the per-key limit is 429 stream_limit_reached, as is one over the tenant limit; a closed stream frees its slot', async () => {
    const other = (await api.call('POST', `/v1/tenants/${B.id}/api-keys`, { body: { name: 'second', role: 'member' } })).body.token as string;
    const first = await openStream({ authorization: `Bearer ${B.token}` });
    const second = await openStream({ authorization: `Bearer ${B.token}` });
    assert.deepEqual([first.res.status, second.res.status], [200, 200]);
    const third = await openStream({ authorization: `Bearer ${B.token}` });
    assert.equal(third.res.status, 429);
    assert.match(third.res.headers.get('content-type') ?? '', /problem\+json/);
    const refused = JSON.parse(await third.until(/\}$/)) as { code: string; limit: number; open: number };
    assert.deepEqual([refused.code, refused.limit, refused.open], ['stream_limit_reached', 2, 2]);

    const viaOther = await openStream({ authorization: `Bearer ${other}` });
    assert.equal(viaOther.res.status, 200, 'another key of the tenant has its own budget');
    const overTenant = await openStream({ authorization: `Bearer ${other}` });
    assert.equal(overTenant.res.status, 429, 'the tenant has 3 open');
    assert.equal((JSON.parse(await overTenant.until(/\}$/)) as { limit: number }).limit, 3);
    const elsewhere = await openStream({ authorization: `Bearer ${A.token}` });
    assert.equal(elsewhere.res.status, 200, "another tenant's budget is its own");
    elsewhere.close();

    first.close();
    const again = await (async () => {
      for (let i = 0; i < 50; i++) {
        const s = await openStream({ authorization: `Bearer ${B.token}` });
        if (s.res.status === 200) return s;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('the closed stream never freed its slot');
    })();
    for (const s of [second, viaOther, again]) s.close();
  });
});

describe('webhooks', () => {
  test('the secret is sealed at rest (no column holds it), answered no-store and never replayed; a tenant has at most WEBHOOKS_MAX_PER_TENANT', async () => {
    const T = await tenantWithKey(api, 'ev-hooks');
    const body = { url: 'http://93.184.215.14/hook' };
    const made = await api.call('POST', '/v1/webhooks', { token: T.token, body, headers: { 'idempotency-key': 'hook-1' } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal(made.headers.get('cache-control'), 'no-store');
    const secret = made.body.secret as string;
    assert.match(secret, /^whsec_/);
    const replay = await api.call('POST', '/v1/webhooks', { token: T.token, body, headers: { 'idempotency-key': 'hook-1' } });
    assert.equal(replay.status, 201);
    assert.equal(replay.body.id, made.body.id);
    assert.equal(replay.body.secret, null, 'a replay has no secret');
    const row = (await db.query(`SELECT secret, secret_sealed FROM webhooks WHERE id = $1`, [made.body.id])).rows[0] as {
      secret: string | null;
      secret_sealed: Buffer;
    };
    assert.equal(row.secret, null);
    assert.ok(row.secret_sealed.length > secret.length, 'sealed: iv, tag and ciphertext');
    const raw = secret.slice('whsec_'.length);
    for (const form of [secret, raw, Buffer.from(raw, 'base64url').toString('hex')])
      assert.ok(!row.secret_sealed.toString('latin1').includes(form) && !row.secret_sealed.toString('hex').includes(form), 'not in the sealed bytes');

    assert.equal((await api.call('POST', '/v1/webhooks', { token: T.token, body })).status, 201);
    const over = await api.call('POST', '/v1/webhooks', { token: T.token, body });
    assert.equal(over.status, 409);
    assert.deepEqual([over.body.code, over.body.limit, over.body.open], ['webhook_limit_reached', 2, 2]);
    assert.equal((await api.call('DELETE', `/v1/webhooks/${made.body.id}`, { token: T.token })).status, 204);
    assert.equal((await api.call('POST', '/v1/webhooks', { token: T.token, body })).status, 201, 'a deleted webhook frees its place');
  });

  test('POST answers the secret once; GET never shows it; only http(s) on public addresses; another tenant gets 404', async () => {
    const made = await api.call('POST', '/v1/webhooks', { token: A.token, body: { url: 'http://93.184.215.14/hook', events: ['vm.'] } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.match(made.body.secret, /^whsec_/);
    assert.equal(made.body.status, 'active');
    const shown = await api.call('GET', `/v1/webhooks/${made.body.id}`, { token: A.token });
    assert.equal(shown.status, 200);
    assert.equal(shown.body.secret, undefined);
    assert.deepEqual(
      (await api.call('GET', '/v1/webhooks', { token: A.token })).body.items.map((w: { id: string }) => w.id),
      [made.body.id],
    );
    assert.equal((await api.call('GET', `/v1/webhooks/${made.body.id}`, { token: B.token })).status, 404);
    assert.equal((await api.call('DELETE', `/v1/webhooks/${made.body.id}`, { token: B.token })).status, 404);

    for (const url of [
      'ftp://example.com/x',
      'http://127.0.0.1:9/x',
      'http://169.254.169.254/latest',
      'http://[::1]/x',
      'http://10.1.2.3/',
      'not a url',
    ]) {
      const refused = await api.call('POST', '/v1/webhooks', { token: A.token, body: { url } });
      assert.equal(refused.status, 400, url);
      assert.equal(refused.body.code, 'validation_failed');
      assert.equal(refused.body.errors?.[0]?.path ?? refused.body.fields?.[0]?.path, 'url', JSON.stringify(refused.body));
    }
    assert.equal((await api.call('DELETE', `/v1/webhooks/${made.body.id}`, { token: A.token })).status, 204);
    assert.equal((await api.call('GET', `/v1/webhooks/${made.body.id}`, { token: A.token })).status, 404);
  });
});
