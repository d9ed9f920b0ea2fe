import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startApi, type ApiHarness } from './testing/api-harness.js';

type Row = Record<string, unknown> & { requestId: string };

let api: ApiHarness;
// The bootstrap token's own named identity (it used to be the nil uuid).
let BOOTSTRAP_KEY_ID: string;
before(async () => {
  api = await startApi();
  const keys = (await api.call('GET', '/v1/operator-keys')).body.items as { id: string; name: string; bootstrap: boolean }[];
  const bootstrap = keys.find((k) => k.bootstrap);
  assert.equal(bootstrap?.name, 'bootstrap');
  assert.notEqual(bootstrap.id, '00000000-0000-0000-0000-000000000000');
  BOOTSTRAP_KEY_ID = bootstrap.id;
});
after(async () => {
  await api?.close();
});

async function tenantWithKeys(name: string) {
  const t = await api.call('POST', '/v1/tenants', { body: { name } });
  const admin = await api.call('POST', `/v1/tenants/${t.body.id}/api-keys`, { body: { name: 'admin', role: 'admin' } });
  const member = await api.call('POST', `/v1/tenants/${t.body.id}/api-keys`, { body: { name: 'member', role: 'member' } });
  return { id: t.body.id as string, admin: admin.body as { id: string; token: string }, member: member.body as { id: string; token: string } };
}

/** Every audit row the caller may see, oldest first, following nextCursor. */
async function allRows(query = '', token?: string): Promise<Row[]> {
  const rows: Row[] = [];
  let cursor: string | null = null;
  do {
    const sep = query ? '&' : '';
    const r = await api.call('GET', `/v1/audit?${query}${sep}limit=500${cursor ? `&cursor=${cursor}` : ''}`, { token });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    rows.push(...r.body.items);
    cursor = r.body.nextCursor;
  } while (cursor);
  return rows;
}

/** Rows are written once the answer is out, so a test waits for the one its request id names. */
async function rowFor(requestId: string): Promise<Row> {
  for (let i = 0; i < 50; i++) {
    const hit = (await allRows()).find((r) => r.requestId === requestId);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 40));
  }
  throw new Error(`no audit row for ${requestId}`);
}

async function send(method: string, path: string, opts: { token?: string | null; body?: unknown; raw?: string } = {}) {
  const requestId = `audit-${randomUUID()}`;
  const r = await api.call(method, path, { ...opts, headers: { 'x-request-id': requestId } });
  return { ...r, requestId };
}

describe('audit rows', () => {
  test('successes record who, what, the resource and the result', async () => {
    const created = await send('POST', '/v1/tenants', { body: { name: 'audit-co' } });
    assert.equal(created.status, 201);
    const row = await rowFor(created.requestId);
    assert.deepEqual(
      { ...row, id: undefined, at: undefined },
      {
        id: undefined,
        at: undefined,
        tenantId: null,
        apiKeyId: BOOTSTRAP_KEY_ID,
        apiKeyName: 'bootstrap',
        role: 'operator',
        method: 'POST',
        route: '/v1/tenants',
        path: '/v1/tenants',
        resourceId: created.body.id,
        status: 201,
        outcome: 'succeeded',
        errorCode: null,
        requestId: created.requestId,
        details: null,
        durationMs: null,
      },
    );
    assert.ok(Math.abs(Date.parse(row.at as string) - Date.now()) < 60_000);

    const key = await send('POST', `/v1/tenants/${created.body.id}/api-keys`, { body: { name: 'k', role: 'admin' } });
    const keyRow = await rowFor(key.requestId);
    assert.equal(keyRow.tenantId, created.body.id, 'an operator acting on a tenant records that tenant');
    assert.equal(keyRow.resourceId, key.body.id);
    assert.equal(keyRow.route, '/v1/tenants/:tenantId/api-keys');

    const renamed = await send('PATCH', `/v1/tenants/${created.body.id}`, { body: { name: 'audit-co-2' } });
    assert.equal((await rowFor(renamed.requestId)).tenantId, created.body.id);
    const revoked = await send('DELETE', `/v1/tenants/${created.body.id}/api-keys/${key.body.id}`);
    assert.equal(revoked.status, 204);
    const revokedRow = await rowFor(revoked.requestId);
    assert.equal(revokedRow.resourceId, key.body.id);
    assert.equal(revokedRow.path, `/v1/tenants/${created.body.id}/api-keys/${key.body.id}`);
  });

  test('a 202 records the resource it accepted, under the tenant key that asked', async () => {
    const t = await tenantWithKeys('audit-vm-co');
    const flavor = await api.call('POST', '/v1/flavors', { body: { name: 'audit-small', vcpus: 1, memoryMiB: 512, diskGiB: 5 } });
    const image = await api.call('POST', '/v1/images', { body: { name: 'audit-debian', template: 'Debian Bookworm 12' } });
    const vm = await send('POST', '/v1/vms', { token: t.member.token, body: { name: 'web', flavorId: flavor.body.id, imageId: image.body.id } });
    assert.equal(vm.status, 202, JSON.stringify(vm.body));
    const row = await rowFor(vm.requestId);
    assert.equal(row.resourceId, vm.body.vm.id);
    assert.equal(row.tenantId, t.id);
    assert.equal(row.apiKeyId, t.member.id);
    assert.equal(row.role, 'member');
    const act = await send('POST', `/v1/vms/${vm.body.vm.id}/actions`, { token: t.admin.token, body: { action: 'start' } });
    const actRow = await rowFor(act.requestId);
    assert.equal(actRow.route, '/v1/vms/:id/actions');
    assert.equal(actRow.resourceId, vm.body.vm.id);
    assert.equal(actRow.outcome, 'failed');
    assert.equal(actRow.errorCode, 'invalid_state');
  });

  test('failures after authentication are recorded with their problem code', async () => {
    const t = await tenantWithKeys('audit-fail-co');
    const forbidden = await send('POST', `/v1/tenants/${t.id}/api-keys`, { token: t.member.token, body: { name: 'x', role: 'admin' } });
    assert.equal(forbidden.status, 403);
    const invalid = await send('POST', '/v1/flavors', { body: { name: 'f', vcpus: 'many' } });
    assert.equal(invalid.status, 400);
    const missing = await send('DELETE', `/v1/vms/${randomUUID()}`, { token: t.admin.token });
    assert.equal(missing.status, 404);
    const expected = [
      [forbidden, 403, 'forbidden', t.member.id, t.id],
      [invalid, 400, 'validation_failed', BOOTSTRAP_KEY_ID, null],
      [missing, 404, 'not_found', t.admin.id, t.id],
    ] as const;
    for (const [r, status, code, keyId, tenantId] of expected) {
      const row = await rowFor(r.requestId);
      assert.deepEqual([row.status, row.outcome, row.errorCode, row.apiKeyId, row.tenantId], [status, 'failed', code, keyId, tenantId], r.requestId);
    }
  });

  test('reads, unmatched routes, failed authentication and bodies refused before authentication are not recorded', async () => {
    const t = await tenantWithKeys('audit-quiet-co');
    const marker = await send('POST', '/v1/tenants', { body: { name: 'audit-marker' } });
    const skipped = [
      await send('GET', '/v1/tenants'),
      await send('GET', `/v1/vms`, { token: t.admin.token }),
      await send('POST', '/v1/nothing-here', { body: {} }),
      await send('POST', '/v1/tenants', { raw: '{"name": ' }),
      // Anyone can fail authentication: it is counted in metrics, never one audit row each.
      await send('POST', '/v1/tenants', { token: 'not-a-key', body: { name: 'x' } }),
      await send('DELETE', `/v1/vms/${randomUUID()}`, { token: null }),
    ];
    const last = await send('POST', '/v1/tenants', { body: { name: 'audit-marker-2' } });
    await rowFor(last.requestId);
    const ids = new Set((await allRows()).map((r) => r.requestId));
    assert.ok(ids.has(marker.requestId));
    for (const s of skipped) assert.ok(!ids.has(s.requestId), `${s.status} ${s.requestId} was recorded`);
  });
});

describe('GET /v1/audit', () => {
  test('operators see every tenant and can filter; tenant admins see only theirs; members are refused', async () => {
    const a = await tenantWithKeys('audit-a');
    const b = await tenantWithKeys('audit-b');
    const byA = await send('POST', `/v1/tenants/${a.id}/api-keys`, { token: a.admin.token, body: { name: 'a2', role: 'member' } });
    const byB = await send('POST', `/v1/tenants/${b.id}/api-keys`, { token: b.admin.token, body: { name: 'b2', role: 'member' } });
    // B probing A's keys is B's own failed request: it never shows in A's log.
    const probe = await send('POST', `/v1/tenants/${a.id}/api-keys`, { token: b.admin.token, body: { name: 'x', role: 'admin' } });
    assert.equal(probe.status, 404);
    await rowFor(probe.requestId);
    await rowFor(byA.requestId);
    await rowFor(byB.requestId);

    const aView = await allRows('', a.admin.token);
    assert.ok(aView.length >= 1 && aView.every((r) => r.tenantId === a.id));
    assert.ok(aView.some((r) => r.requestId === byA.requestId));
    assert.ok(!aView.some((r) => r.requestId === byB.requestId || r.requestId === probe.requestId));
    assert.ok((await allRows('', b.admin.token)).some((r) => r.requestId === probe.requestId));

    const filtered = await allRows(`tenantId=${b.id}`);
    assert.ok(filtered.every((r) => r.tenantId === b.id));
    assert.ok(filtered.some((r) => r.requestId === byB.requestId));
    assert.ok((await allRows()).length > filtered.length);

    const member = await api.call('GET', '/v1/audit', { token: a.member.token });
    assert.equal(member.status, 403);
    assert.equal(member.body.code, 'forbidden');
    assert.equal((await api.call('GET', `/v1/audit?tenantId=${b.id}`, { token: a.admin.token })).status, 404);
    assert.equal((await api.call('GET', '/v1/audit?tenantId=nope')).status, 400);
  });

  test('pages follow nextCursor without repeats or gaps', async () => {
    for (let i = 0; i < 5; i++) await send('POST', '/v1/flavors', { body: { name: `audit-page-${i}`, vcpus: 1, memoryMiB: 256, diskGiB: 1 } });
    const last = await send('POST', '/v1/flavors', { body: { name: 'audit-page-last', vcpus: 1, memoryMiB: 256, diskGiB: 1 } });
    await rowFor(last.requestId);
    const all = await allRows();
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { body: { items: Row[]; nextCursor: string | null } } = await api.call('GET', `/v1/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      paged.push(...r.body.items.map((x) => x.id as string));
      cursor = r.body.nextCursor;
    } while (cursor);
    assert.deepEqual(
      paged,
      all.map((r) => r.id),
    );
  });
});

describe('audit failures', () => {
  test('a failed audit write is logged and counted, and the request still succeeds', async () => {
    const client = new pg.Client({ connectionString: api.db.url });
    await client.connect();
    try {
      await client.query('ALTER TABLE audit_log RENAME TO audit_log_away');
      const r = await send('POST', '/v1/tenants', { body: { name: 'audit-down-co' } });
      assert.equal(r.status, 201);
      await new Promise((res) => setTimeout(res, 200));
      const metrics = await api.call('GET', '/metrics', { token: null });
      assert.match(metrics.body, /xenplane_audit_write_failures_total [1-9]/);
    } finally {
      await client.query('ALTER TABLE audit_log_away RENAME TO audit_log');
      await client.end();
    }
    const after = await send('POST', '/v1/tenants', { body: { name: 'audit-up-co' } });
    assert.equal((await rowFor(after.requestId)).status, 201);
  });

  test('closing the API waits for the rows of the requests it answered last', async () => {
    const other = await startApi();
    const client = new pg.Client({ connectionString: other.db.url });
    try {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          other.call('POST', '/v1/flavors', { body: { name: `last-${i}`, vcpus: 1, memoryMiB: 256, diskGiB: 1 } }),
        ),
      );
      assert.ok(answers.every((r) => r.status === 201));
      await other.app.close();
      await client.connect();
      assert.equal((await client.query(`SELECT count(*)::int AS n FROM audit_log WHERE route = '/v1/flavors'`)).rows[0].n, 20);
    } finally {
      await client.end();
      await other.db.drop();
    }
  });
});
