// Tenant consoles end to end (issue 15), with real processes: the API's gateway relays a tenant's WebSocket to the
// VM's XAPI console on the simulator; Debian's vncsnapshot, through a TCP↔WebSocket shim, is the referee VNC client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { readFile } from 'node:fs/promises';
import { eventually, simFault, simState, startProcess, untilReady, xapi, type XapiCall } from '@xenplane/testing';
import { closed, openConsole, rfbHandshake, tcpToWebSocket, vncReferee, vncSnapshot } from './console/console-client.js';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

const missing = await vncReferee();
if (missing && process.env.CI === 'true') throw new Error(`CI=true but the console referee cannot run: ${missing}`);

type Client = ReturnType<typeof client>;
let stack: Stack;
let pool: XapiCall;
let A: Client;
let B: Client;
let tenantA: string;
let tokenOfA: string;
let flavorId: string;
let imageId: string;
let vmId: string;
/** Every HTTP answer body and WebSocket refusal the tests saw: none may carry a XAPI session. */
const seen: string[] = [];

const recording =
  (c: Client): Client =>
  async (method, path, body) => {
    const res = await c(method, path, body);
    seen.push(JSON.stringify(res.body ?? null));
    return res;
  };

async function runningVm(name: string): Promise<string> {
  const created = await A('POST', '/v1/vms', { name, flavorId, imageId });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  return eventually(`${name} running`, async () =>
    (await A('GET', `/v1/vms/${created.body.vm.id}`)).body.status === 'running' ? created.body.vm.id : undefined,
  );
}

async function consoleUrl(me: Client, id: string): Promise<string> {
  const res = await me('POST', `/v1/vms/${id}/console`);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.url as string;
}

async function connect(url: string) {
  const o = await openConsole(url);
  if (!o.ok) seen.push(JSON.stringify(o.body));
  return o;
}

async function refused(url: string, status: number, code: string): Promise<void> {
  const o = await connect(url);
  assert.ok(!o.ok, `expected ${status} ${code}, the console opened`);
  assert.deepEqual([o.status, o.body.code], [status, code], JSON.stringify(o.body));
}

const tokenHash = (url: string) => createHash('sha256').update(new URL(url).searchParams.get('token')!).digest();

before(async () => {
  stack = await startStack({ SIM_HOSTS: '2' }, { CONSOLE_MAX_SESSIONS_PER_VM: '2' });
  pool = await xapi(stack.sim.url);
  const op = recording(client(stack.api.url, OPERATOR_TOKEN));
  flavorId = (await op('POST', '/v1/flavors', { name: 'small', vcpus: 1, memoryMiB: 512, diskGiB: 10 })).body.id;
  imageId = (await op('POST', '/v1/images', { name: 'debian-12', template: 'Debian Bookworm 12' })).body.id;
  const tenant = async (name: string) => {
    const t = (await op('POST', '/v1/tenants', { name })).body;
    const key = (await op('POST', `/v1/tenants/${t.id}/api-keys`, { name: 'admin', role: 'admin' })).body.token;
    return { id: t.id as string, key: key as string, me: recording(client(stack.api.url, key)) };
  };
  const a = await tenant('console-a');
  [A, tenantA, tokenOfA] = [a.me, a.id, a.key];
  B = (await tenant('console-b')).me;
  vmId = await runningVm('console-web');
});
after(async () => {
  await stack?.stop();
});

describe('tenant consoles', () => {
  test('a real VNC client completes the RFB handshake and draws the framebuffer through the public URL', { skip: missing }, async () => {
    const res = await A('POST', `/v1/vms/${vmId}/console`);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.match(res.body.url, new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/v1/consoles/connect\\?token=[A-Za-z0-9_-]{43}$`));
    assert.ok(Date.parse(res.body.expiresAt) > Date.now(), 'not expired yet');
    assert.equal(res.headers.get('cache-control'), 'no-store');

    const o = await connect(res.body.url);
    assert.ok(o.ok);
    assert.equal(o.protocol, 'binary', 'the subprotocol noVNC offers');
    const screen = await rfbHandshake(o.stream);
    const ref = await pool('VM.get_by_uuid', (await A('GET', `/v1/vms/${vmId}`)).body.xapiUuid);
    assert.equal(screen.version, 'RFB 003.008\n');
    assert.equal(screen.name, await pool('VM.get_name_label', ref), "the desktop is this VM's");
    assert.ok(screen.pixelBytes > 0);
    o.ws.close();
    await closed(o.ws);

    const shim = await tcpToWebSocket(() => consoleUrl(A, vmId));
    try {
      const picture = await vncSnapshot(shim.port);
      assert.deepEqual([picture.width, picture.height], [screen.width, screen.height]);
      assert.ok(picture.jpegBytes > 1000, 'a JPEG of the screen');
    } finally {
      await shim.close();
    }
  });

  test('a token opens one session: used, expired, unknown or revoked-key tokens are 401', async () => {
    const url = await consoleUrl(A, vmId);
    const first = await connect(url);
    assert.ok(first.ok);
    await refused(url, 401, 'unauthenticated');
    first.ws.close();
    await closed(first.ws);

    const late = await consoleUrl(A, vmId);
    const db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    try {
      // 30 s pass: the row's deadline is moved instead of the test waiting for it
      const moved = await db.query(`UPDATE console_sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [tokenHash(late)]);
      assert.equal(moved.rowCount, 1, 'only the hash of the token is stored');
    } finally {
      await db.end();
    }
    await refused(late, 401, 'unauthenticated');
    await refused(url.replace(/token=.*/, `token=${'A'.repeat(43)}`), 401, 'unauthenticated');
    await refused(url.replace(/\?.*/, ''), 401, 'unauthenticated');
    await refused(url.replace('/v1/consoles/connect', '/v1/consoles/elsewhere'), 404, 'not_found');

    const op = client(stack.api.url, OPERATOR_TOKEN);
    const member = (await op('POST', `/v1/tenants/${tenantA}/api-keys`, { name: 'member', role: 'member' })).body;
    const byMember = await consoleUrl(recording(client(stack.api.url, member.token)), vmId);
    assert.equal((await op('DELETE', `/v1/tenants/${tenantA}/api-keys/${member.id}`)).status, 204);
    await refused(byMember, 401, 'unauthenticated');
  });

  test('RFB travels in binary frames: a text frame ends the session (1003)', async () => {
    const o = await connect(await consoleUrl(A, vmId));
    assert.ok(o.ok);
    const code = closed(o.ws);
    o.ws.send('RFB 003.008\n');
    assert.equal(await code, 1003);
  });

  test("another tenant's VM is 404 like a missing one; a VM that is not running is 409, when asked and at connect", async () => {
    const theirs = await B('POST', `/v1/vms/${vmId}/console`);
    const none = await B('POST', `/v1/vms/00000000-0000-4000-8000-000000000000/console`);
    assert.deepEqual([theirs.status, theirs.body.code], [404, 'not_found']);
    assert.equal(none.status, 404);

    const other = await runningVm('console-stopping');
    const url = await consoleUrl(A, other);
    assert.equal((await A('POST', `/v1/vms/${other}/actions`, { action: 'stop' })).status, 202);
    await eventually('stopped', async () => ((await A('GET', `/v1/vms/${other}`)).body.status === 'stopped' ? true : undefined));
    await refused(url, 409, 'invalid_state');
    const asked = await A('POST', `/v1/vms/${other}/console`);
    assert.deepEqual([asked.status, asked.body.code], [409, 'invalid_state']);
  });

  test('at most CONSOLE_MAX_SESSIONS_PER_VM (2 here) sessions per VM, counted when asked and again at connect', async () => {
    const one = await connect(await consoleUrl(A, vmId));
    assert.ok(one.ok);
    const [second, third] = [await consoleUrl(A, vmId), await consoleUrl(A, vmId)];
    const two = await connect(second);
    assert.ok(two.ok);
    await refused(third, 409, 'console_limit_reached');
    const asked = await A('POST', `/v1/vms/${vmId}/console`);
    assert.deepEqual([asked.status, asked.body.code, asked.body.limit], [409, 'console_limit_reached', 2]);
    one.ws.close();
    await closed(one.ws);
    await eventually('a place is free again', async () => ((await A('POST', `/v1/vms/${vmId}/console`)).status === 201 ? true : undefined));
    two.ws.close();
    await closed(two.ws);
  });

  test('each session is audited with its duration when it closes; refusals after a good token are audited as failed', async () => {
    const before = Date.now();
    const o = await connect(await consoleUrl(A, vmId));
    assert.ok(o.ok);
    await rfbHandshake(o.stream);
    await new Promise((r) => setTimeout(r, 300));
    o.ws.close();
    await closed(o.ws);
    const held = Date.now() - before;
    const rows = await eventually('the audit row', async () => {
      const items = (await A('GET', '/v1/audit?limit=500')).body.items.filter((x: any) => x.method === 'CONSOLE' && x.resourceId === vmId);
      return items.some((x: any) => Date.parse(x.at) >= before && x.outcome === 'succeeded' && x.durationMs >= 300) ? items : undefined;
    });
    // (the previous test's last session may be audited after `before` too: it lasted less than this one was held)
    const mine = rows.find((x: any) => Date.parse(x.at) >= before && x.outcome === 'succeeded' && x.durationMs >= 300);
    assert.equal(mine.route, '/v1/consoles/connect');
    assert.equal(mine.status, 101);
    assert.ok(mine.durationMs <= held, `durationMs ${mine.durationMs}, held ${held}`);
    assert.ok(
      rows.some((x: any) => x.outcome === 'failed' && x.errorCode === 'console_limit_reached' && x.durationMs === null),
      'the refused third session',
    );
  });

  test('after a reboot and after a live migration, the old session ends and a new console reaches the VM', async () => {
    const uuid = (await A('GET', `/v1/vms/${vmId}`)).body.xapiUuid;
    const ref = await pool('VM.get_by_uuid', uuid);
    const name = await pool('VM.get_name_label', ref);
    const open = async () => {
      const o = await connect(await consoleUrl(A, vmId));
      assert.ok(o.ok);
      assert.equal((await rfbHandshake(o.stream)).name, name);
      return o;
    };

    const beforeReboot = await open();
    const domid = await pool('VM.get_domid', ref);
    const reboot = await A('POST', `/v1/vms/${vmId}/actions`, { action: 'reboot' });
    assert.equal(reboot.status, 202);
    await eventually('reboot done', async () =>
      (await A('GET', `/v1/operations/${reboot.body.operation.id}`)).body.status === 'succeeded' ? true : undefined,
    );
    assert.notEqual(await pool('VM.get_domid', ref), domid, 'a new domain');
    await closed(beforeReboot.ws);
    const afterReboot = await open();

    const from = await pool('VM.get_resident_on', ref);
    const to = (await pool('host.get_all')).find((h: string) => h !== from);
    await pool('VM.pool_migrate', ref, to, { live: 'true' });
    await closed(afterReboot.ws);
    const afterMigration = await open();
    const toUuid = await pool('host.get_uuid', to);
    await eventually('the API sees the new host', async () => ((await A('GET', `/v1/vms/${vmId}`)).body.hostId === toUuid ? true : undefined));
    afterMigration.ws.close();
    await closed(afterMigration.ws);
  });

  test('a pool that fails to open the console is 503 unavailable (the token is spent, the refusal audited)', async () => {
    const url = await consoleUrl(A, vmId);
    await simFault(stack.sim, { method: 'VM.get_consoles', code: 'INTERNAL_ERROR', times: 1 });
    await refused(url, 503, 'unavailable');
    await refused(url, 401, 'unauthenticated');
    const rows = await eventually('audited', async () => {
      const items = (await A('GET', '/v1/audit?limit=500')).body.items.filter((x: any) => x.method === 'CONSOLE' && x.errorCode === 'unavailable');
      return items.length ? items : undefined;
    });
    assert.equal(rows[0].status, 503);
    const o = await connect(await consoleUrl(A, vmId));
    assert.ok(o.ok, 'the next console works');
    o.ws.close();
    await closed(o.ws);
  });

  test("revoking a key closes its open sessions (1008) at the gateway's next refresh", async () => {
    const op = client(stack.api.url, OPERATOR_TOKEN);
    const member = (await op('POST', `/v1/tenants/${tenantA}/api-keys`, { name: 'short-lived', role: 'member' })).body;
    const o = await connect(await consoleUrl(recording(client(stack.api.url, member.token)), vmId));
    assert.ok(o.ok);
    await rfbHandshake(o.stream);
    const code = closed(o.ws);
    assert.equal((await op('DELETE', `/v1/tenants/${tenantA}/api-keys/${member.id}`)).status, 204);
    assert.equal(await code, 1008);
  });

  test('200 concurrent sessions through one API process: all relay, the process stays small, and all end cleanly', async () => {
    // A second API on the same database, allowed that many sessions on one VM (the first one's limit is 2).
    const wide = startProcess(
      'apps/api/dist/main.js',
      { ...stack.env, PORT: '0', HOST: '127.0.0.1', CONSOLE_MAX_SESSIONS_PER_VM: '250' },
      'api-wide',
    );
    const port = (await untilReady(wide, (l) => l.msg === 'api listening')).port as number;
    const url = `http://127.0.0.1:${port}`;
    const rss = async () => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${wide.child.pid}/status`, 'utf8'))![1]) * 1024;
    const gauge = async () => Number(/^xenplane_console_sessions_open (\d+)/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1]);
    try {
      const me = recording(client(url, tokenOfA));
      const before = await rss();
      const sessions = await Promise.all(
        Array.from({ length: 200 }, async () => {
          const o = await connect(await consoleUrl(me, vmId));
          assert.ok(o.ok, JSON.stringify(o));
          const version = await new Promise<string>((r) => o.stream.once('data', (d: Buffer) => r(d.toString('latin1'))));
          assert.equal(version, 'RFB 003.008\n');
          return o;
        }),
      );
      assert.equal(await gauge(), 200);
      const grown = (await rss()) - before;
      assert.ok(grown < 100 * 1024 * 1024, `RSS grew ${Math.round(grown / 1024 / 1024)} MiB for 200 sessions`);
      await Promise.all(sessions.map((o) => (o.ws.close(), closed(o.ws))));
      await eventually('every session ended', async () => ((await gauge()) === 0 ? true : undefined));
    } finally {
      assert.equal(await wide.stop('SIGTERM'), 0);
    }
    seen.push(...wide.logs);
  });

  test("a killed API's sessions stop holding places once they go unrefreshed, and are audited as lost", async () => {
    const doomed = startProcess('apps/api/dist/main.js', { ...stack.env, PORT: '0', HOST: '127.0.0.1' }, 'api-doomed');
    const port = (await untilReady(doomed, (l) => l.msg === 'api listening')).port as number;
    const me = recording(client(`http://127.0.0.1:${port}`, tokenOfA));
    const held = [await connect(await consoleUrl(me, vmId)), await connect(await consoleUrl(me, vmId))];
    assert.ok(held.every((o) => o.ok));
    await doomed.stop('SIGKILL');
    seen.push(...doomed.logs);
    const asked = await A('POST', `/v1/vms/${vmId}/console`);
    assert.deepEqual([asked.status, asked.body.code], [409, 'console_limit_reached'], 'still counted while they may be alive');
    const db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    try {
      // 30 s without a refresh pass: their last refresh is moved back instead of the test waiting
      const aged = await db.query(
        `UPDATE console_sessions SET seen_at = seen_at - interval '1 minute' WHERE ended_at IS NULL AND connected_at IS NOT NULL RETURNING id`,
      );
      assert.equal(aged.rowCount, 2);
      const o = await connect(await consoleUrl(A, vmId));
      assert.ok(o.ok, 'the places are free again');
      o.ws.close();
      await closed(o.ws);
      const ids = aged.rows.map((r) => r.id);
      const ended = await db.query(`SELECT end_reason FROM console_sessions WHERE id = ANY($1)`, [ids]);
      assert.deepEqual(
        ended.rows.map((r) => r.end_reason),
        ['lost', 'lost'],
      );
      const audited = await db.query(`SELECT duration_ms FROM audit_log WHERE method = 'CONSOLE' AND request_id = ANY($1)`, [ids]);
      assert.equal(audited.rowCount, 2);
      assert.ok(audited.rows.every((r) => Number(r.duration_ms) >= 0));
    } finally {
      await db.end();
    }
  });

  test("bad tokens are failed authentication: past the address's budget (60 a minute) they get 429, good tokens still work", async () => {
    const bad = (await consoleUrl(A, vmId)).replace(/token=.*/, `token=${'b'.repeat(43)}`);
    let answer: { status: number; code: string } | undefined;
    for (let i = 0; i < 100 && answer?.status !== 429; i++) {
      const o = await connect(bad);
      assert.ok(!o.ok);
      answer = { status: o.status, code: o.body.code };
    }
    assert.deepEqual(answer, { status: 429, code: 'rate_limited' });
    const o = await connect(await consoleUrl(A, vmId));
    assert.ok(o.ok, 'a good token is never charged');
    o.ws.close();
    await closed(o.ws);
  });

  test('no response and no log line of the API or the worker carries a XAPI session', async () => {
    assert.ok((await simState(stack.sim)).originators['xenplane-console'] >= 1, 'the API logged in to open consoles');
    assert.ok(
      stack.api.logs.some((l) => l.includes('"console session closed"')),
      "the API's log lines were captured",
    );
    const texts = [...seen, ...stack.api.logs, ...stack.worker.logs]; // (and the second API's, kept in `seen`)
    // The probe tells a session from anything else: a session of the test's own is found.
    const login = await fetch(`${stack.sim.url}/jsonrpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'session.login_with_password', params: ['root', 'xenroot', '1.0', 'probe'] }),
    });
    const own = ((await login.json()) as { result: string }).result;
    assert.equal((await pool('session.get_record', own)).originator, 'probe');
    const refs = new Set(texts.flatMap((t) => t.match(/OpaqueRef:[0-9a-f-]{36}/g) ?? []));
    for (const r of refs) await assert.rejects(pool('session.get_record', r), /HANDLE_INVALID|SESSION_INVALID/, `${r} is a XAPI session`);
    for (const t of texts) assert.doesNotMatch(t, /session_id/i);
  });

  // Last: it stops the API.
  test('an API shutting down closes its sessions (1001) and audits them before it exits', async () => {
    const o = await connect(await consoleUrl(A, vmId));
    assert.ok(o.ok);
    await rfbHandshake(o.stream);
    const code = closed(o.ws);
    assert.equal(await stack.api.stop('SIGTERM'), 0, 'a clean exit, not one forced by open sockets');
    assert.equal(await code, 1001);
    const db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
    try {
      const open = await db.query(`SELECT count(*)::int AS n FROM console_sessions WHERE connected_at IS NOT NULL AND ended_at IS NULL`);
      assert.equal(open.rows[0].n, 0, 'every session ended');
      const last = await db.query(`SELECT end_reason FROM console_sessions WHERE ended_at IS NOT NULL ORDER BY ended_at DESC LIMIT 1`);
      assert.equal(last.rows[0].end_reason, 'shutdown');
      const audited = await db.query(
        `SELECT count(*)::int AS n FROM audit_log WHERE method = 'CONSOLE' AND outcome = 'succeeded' AND duration_ms IS NOT NULL`,
      );
      const sessions = await db.query(
        `SELECT count(*)::int AS n FROM console_sessions WHERE connected_at IS NOT NULL AND end_reason NOT IN ('invalid_state', 'console_limit_reached', 'unavailable')`,
      );
      assert.equal(audited.rows[0].n, sessions.rows[0].n, 'one audit row with a duration per session');
    } finally {
      await db.end();
    }
  });
});
