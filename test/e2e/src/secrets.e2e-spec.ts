// After a realistic session, no token or password issued in it is anywhere in the database (issue 11): every
// column of every table is read, whatever its type, for each secret in plain text, hex and base64.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { eventually, type SimProcess, startSimProcess } from '@xenplane/testing';
import { OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

let stack: Stack;
let second: SimProcess;
const POOL_PASSWORD = `pool-${randomBytes(12).toString('hex')}`;
before(async () => {
  [stack, second] = await Promise.all([startStack(), startSimProcess({ SIM_HOSTS: '1', SIM_PASSWORD: POOL_PASSWORD })]);
});
after(async () => {
  await stack?.stop();
  await second?.stop();
});

type Answer = { status: number; body: any };
function as(token: string | null) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const h: Record<string, string> = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    if (body !== undefined) h['content-type'] = 'application/json';
    const res = await fetch(`${stack.api.url}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** Every column of every table of ours holding `needle` (as text, hex or base64), as `table.column` names. */
async function whereIs(db: pg.Client, columns: { table: string; column: string }[], needle: string): Promise<string[]> {
  const forms = [needle, Buffer.from(needle).toString('hex'), Buffer.from(needle).toString('base64')];
  const hits: string[] = [];
  for (const { table, column } of columns) {
    // ::text renders any type (bytea as \x-hex, jsonb as its JSON, arrays as literals); the bytea test finds raw bytes.
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM "${table}" WHERE position($1 in "${column}"::text) > 0 OR position($2 in "${column}"::text) > 0
         OR position($3 in "${column}"::text) > 0 OR (pg_typeof("${column}") = 'bytea'::regtype AND position(convert_to($1, 'UTF8') in "${column}"::text::bytea) > 0)`,
      forms,
    );
    if (rows[0].n > 0) hits.push(`${table}.${column}`);
  }
  return hits;
}

test('a session of tenants, keys (with and without Idempotency-Key), webhooks, a pool with a password and VMs leaves no secret in any table', async () => {
  const op = as(OPERATOR_TOKEN);
  const secrets: string[] = [OPERATOR_TOKEN, POOL_PASSWORD, stack.env.XAPI_PASSWORD];
  const prefixes: string[] = [];
  const issued = (r: Answer) => {
    assert.equal(r.status, 201, JSON.stringify(r.body));
    if (r.body.token) {
      // xpk_<16 hex prefix>_<secret>; the secret is base64url, so it may hold '_' itself.
      const [, prefix, secret] = /^xpk_([0-9a-f]{16})_(.+)$/.exec(r.body.token)!;
      secrets.push(r.body.token, secret);
      prefixes.push(prefix);
    }
    return r.body;
  };
  // At least the template's 10 GiB disk: a smaller one is refused (disks never shrink).
  const flavor = (await op('POST', '/v1/flavors', { name: 'small', vcpus: 1, memoryMiB: 512, diskGiB: 10 })).body;
  const image = (await op('POST', '/v1/images', { name: 'debian', template: 'Debian Bookworm 12' }, { 'idempotency-key': 'img-1' })).body;
  const pool = await op(
    'POST',
    '/v1/pools',
    { name: 'second', url: second.url, username: 'root', password: POOL_PASSWORD },
    { 'idempotency-key': 'pool-1' },
  );
  assert.equal(pool.status, 201, JSON.stringify(pool.body));
  assert.equal(
    (await op('POST', '/v1/pools', { name: 'second', url: second.url, username: 'root', password: POOL_PASSWORD }, { 'idempotency-key': 'pool-1' }))
      .status,
    201,
  );

  const vmIds: string[] = [];
  for (const name of ['acme', 'globex']) {
    const tenant = (await op('POST', '/v1/tenants', { name }, { 'idempotency-key': `tenant-${name}` })).body;
    const keys = `/v1/tenants/${tenant.id}/api-keys`;
    const admin = issued(await op('POST', keys, { name: 'admin', role: 'admin' }));
    // One operator key sends both tenants' requests, so each gets its own Idempotency-Key.
    const member = issued(await op('POST', keys, { name: 'member', role: 'member' }, { 'idempotency-key': `member-${name}` }));
    assert.equal(
      (await op('POST', keys, { name: 'member', role: 'member' }, { 'idempotency-key': `member-${name}` })).body.token,
      null,
      'a replay has no token',
    );
    const viaAdmin = issued(await as(admin.token)('POST', keys, { name: 'ci', role: 'admin' }, { 'idempotency-key': 'ci-1' }));
    assert.equal((await as(admin.token)('POST', keys, { name: 'ci', role: 'admin' }, { 'idempotency-key': 'ci-1' })).body.token, null);
    assert.equal(
      (await as(member.token)('POST', keys, { name: 'ci', role: 'admin' }, { 'idempotency-key': 'ci-1' })).status,
      403,
      "a member cannot replay the admin's key",
    );
    assert.equal((await op('DELETE', `${keys}/${viaAdmin.id}`)).status, 204);
    // A webhook's signing secret (issue 19): sealed at rest, answered once, null on a replay.
    const hookBody = { url: 'http://93.184.215.14/xenplane', events: ['vm.'] };
    const hook = await as(admin.token)('POST', '/v1/webhooks', hookBody, { 'idempotency-key': 'hook-1' });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    secrets.push(hook.body.secret as string, (hook.body.secret as string).slice('whsec_'.length));
    assert.equal((await as(admin.token)('POST', '/v1/webhooks', hookBody, { 'idempotency-key': 'hook-1' })).body.secret, null);
    // Tokens offered where they are not accepted are refused, and not kept either.
    assert.equal((await as(null)('GET', `/v1/vms?access_token=${member.token}`)).status, 401);
    assert.equal((await as(null)('POST', '/v1/vms', { access_token: member.token, name: 'x', flavorId: flavor.id, imageId: image.id })).status, 401);

    const me = as(member.token);
    const net = await me('POST', '/v1/networks', { name: 'back', cidr: '10.0.0.0/24' }, { 'idempotency-key': 'net-1' });
    assert.equal(net.status, 202, JSON.stringify(net.body));
    for (const [i, headers] of ([{ 'idempotency-key': 'vm-1' }, {}] as Record<string, string>[]).entries()) {
      const vm = await me('POST', '/v1/vms', { name: `web-${i}`, flavorId: flavor.id, imageId: image.id }, headers);
      assert.equal(vm.status, 202, JSON.stringify(vm.body));
      vmIds.push(`${member.token} ${vm.body.vm.id}`);
    }
  }
  const running = async (token: string, id: string) => ((await as(token)('GET', `/v1/vms/${id}`)).body.status === 'running' ? true : undefined);
  for (const entry of vmIds) await eventually(`VM ${entry.split(' ')[1]} running`, () => running(entry.split(' ')[0], entry.split(' ')[1]), 60_000);
  const [token, id] = vmIds[0].split(' ') as [string, string];
  assert.equal((await as(token)('POST', `/v1/vms/${id}/actions`, { action: 'stop' }, { 'idempotency-key': 'stop-1' })).status, 202);
  await eventually(
    'the registered pool connected',
    async () => ((await op('GET', `/v1/pools/${pool.body.id}`)).body.status === 'connected' ? true : undefined),
    60_000,
  );
  await eventually('the stop', async () => ((await as(token)('GET', `/v1/vms/${id}`)).body.status === 'stopped' ? true : undefined), 60_000);

  const db = new pg.Client({ connectionString: stack.db.url });
  await db.connect();
  try {
    const { rows: columns } = await db.query(
      `SELECT c.table_name AS table, c.column_name AS column FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
       WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' ORDER BY 1, 2`,
    );
    const tables = new Set(columns.map((c: { table: string }) => c.table));
    for (const t of ['api_keys', 'idempotency_keys', 'audit_log', 'pools', 'operations', 'outbox', 'vms', 'webhooks']) assert.ok(tables.has(t), t);
    assert.equal(
      (await db.query(`SELECT count(*)::int AS n FROM webhooks WHERE secret_sealed IS NOT NULL`)).rows[0].n,
      2,
      'both webhooks were scanned',
    );
    // The scan reads what it should: each key's public prefix is stored (api_keys.prefix), and is found there.
    for (const p of prefixes) assert.ok((await whereIs(db, columns, p)).includes('api_keys.prefix'), p);
    assert.ok((await db.query(`SELECT count(*)::int AS n FROM idempotency_keys`)).rows[0].n >= 8, 'the session stored replayable answers');
    const found: Record<string, string[]> = {};
    for (const s of secrets) {
      const where = await whereIs(db, columns, s);
      if (where.length) found[`${s.slice(0, 12)}…`] = where;
    }
    assert.deepEqual(found, {}, `secrets found in ${tables.size} tables`);
    assert.ok(secrets.length >= 3 + 2 * 2 * 3 + 2 * 2, `${secrets.length} secrets looked for`);
  } finally {
    await db.end();
  }
});
