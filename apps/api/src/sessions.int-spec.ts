// Web console sessions (issue 19): an API key exchanged for a cookie that stands for it, CSRF-safe, ended by logout
// or by the key's revocation, and the console's static files at /ui.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startApi, tenantWithKey, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
const ui = mkdtempSync(join(tmpdir(), 'xenplane-ui-'));
mkdirSync(join(ui, 'assets'));
writeFileSync(join(ui, 'index.html'), '<!doctype html><title>console</title>');
writeFileSync(join(ui, 'assets', 'app-abc123.js'), 'console.log(1)');

before(async () => {
  api = await startApi({ WEB_UI_DIR: ui });
});
after(async () => {
  await api?.close();
});

async function login(apiKey: string) {
  const res = await api.call('POST', '/v1/sessions', { token: null, body: { apiKey } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const cookie = res.headers.get('set-cookie')!;
  return { res, cookie: cookie.split(';')[0], setCookie: cookie, csrf: res.body.csrfToken as string };
}

describe('web sessions', () => {
  test('the cookie stands for the key: same tenant and role, httpOnly, SameSite=Strict, only its hash stored', async () => {
    const t = await tenantWithKey(api, 'sessions-a', 'member');
    const { res, cookie, setCookie } = await login(t.token);
    assert.match(setCookie, /^xenplane_session=[A-Za-z0-9_-]{43}; Path=\/; Expires=.*; HttpOnly; SameSite=Strict$/);
    assert.deepEqual({ role: res.body.role, tenantId: res.body.tenantId }, { role: 'member', tenantId: t.id });
    const hours = (Date.parse(res.body.expiresAt) - Date.now()) / 3600_000;
    assert.ok(hours > 7.9 && hours <= 8, `${hours} h`);
    assert.equal(res.headers.get('cache-control'), 'no-store');

    const quota = await api.call('GET', '/v1/quota', { token: null, headers: { cookie } });
    assert.equal(quota.status, 200, JSON.stringify(quota.body));
    const current = await api.call('GET', '/v1/sessions/current', { token: null, headers: { cookie } });
    assert.equal(current.body.csrfToken, res.body.csrfToken, 'a reload learns the CSRF token again');

    const db = new pg.Client({ connectionString: api.db.url });
    await db.connect();
    try {
      const rows = (await db.query(`SELECT encode(token_hash, 'hex') AS h FROM web_sessions`)).rows as { h: string }[];
      const token = cookie.split('=')[1];
      assert.ok(!rows.some((r) => r.h.includes(Buffer.from(token).toString('hex'))), 'the token itself is not stored');
    } finally {
      await db.end();
    }
  });

  test('a change made with the cookie needs the CSRF header; bearer requests do not', async () => {
    const t = await tenantWithKey(api, 'sessions-b');
    const { cookie, csrf } = await login(t.token);
    const body = { name: 'net-1', cidr: '10.9.0.0/24' };
    const bare = await api.call('POST', '/v1/networks', { token: null, headers: { cookie }, body });
    assert.deepEqual([bare.status, bare.body.code], [403, 'csrf_failed']);
    const wrong = await api.call('POST', '/v1/networks', { token: null, headers: { cookie, 'x-xenplane-csrf': 'x'.repeat(32) }, body });
    assert.deepEqual([wrong.status, wrong.body.code], [403, 'csrf_failed']);
    const ok = await api.call('POST', '/v1/networks', { token: null, headers: { cookie, 'x-xenplane-csrf': csrf }, body });
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    const bearer = await api.call('POST', '/v1/networks', { token: t.token, body: { name: 'net-2', cidr: '10.9.1.0/24' } });
    assert.equal(bearer.status, 202, JSON.stringify(bearer.body));
    // A request with a bearer header is the bearer's: a cookie beside a bad token does not rescue it.
    const both = await api.call('GET', '/v1/quota', { token: 'xp_bad_token', headers: { cookie } });
    assert.equal(both.status, 401);
  });

  test('logout and a revoked key end the session; a bad key is 401', async () => {
    const t = await tenantWithKey(api, 'sessions-c');
    const first = await login(t.token);
    const out = await api.call('DELETE', '/v1/sessions/current', { token: null, headers: { cookie: first.cookie, 'x-xenplane-csrf': first.csrf } });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /^xenplane_session=; Path=\/; Expires=Thu, 01 Jan 1970/);
    assert.equal((await api.call('GET', '/v1/quota', { token: null, headers: { cookie: first.cookie } })).status, 401);

    const key = await api.call('POST', `/v1/tenants/${t.id}/api-keys`, { body: { name: 'short', role: 'admin' } });
    const second = await login(key.body.token);
    assert.equal((await api.call('GET', '/v1/quota', { token: null, headers: { cookie: second.cookie } })).status, 200);
    assert.equal((await api.call('DELETE', `/v1/tenants/${t.id}/api-keys/${key.body.id}`)).status, 204);
    const after = await api.call('GET', '/v1/quota', { token: null, headers: { cookie: second.cookie } });
    assert.deepEqual([after.status, after.body.code], [401, 'unauthenticated']);

    const bad = await api.call('POST', '/v1/sessions', { token: null, body: { apiKey: key.body.token } });
    assert.deepEqual([bad.status, bad.body.code, bad.headers.get('set-cookie')], [401, 'unauthenticated', null]);
  });

  test('/ui serves the console: index.html for its routes (never cached), hashed assets for a year, a CSP', async () => {
    for (const path of ['/ui', '/ui/', '/ui/vms/123']) {
      const res = await api.call('GET', path, { token: null });
      assert.equal(res.status, 200, path);
      assert.match(String(res.body), /<title>console<\/title>/);
      assert.equal(res.headers.get('cache-control'), 'no-cache', path);
      assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'; script-src 'self'.*frame-ancestors 'none'/);
    }
    const asset = await api.call('GET', '/ui/assets/app-abc123.js', { token: null });
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal((await api.call('GET', '/ui/assets/missing.js', { token: null })).status, 404, 'a missing asset is not the index');
  });
});
