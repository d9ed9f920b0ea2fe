// Tenant consoles end to end (issue 15), with real processes: the API's gateway relays a tenant's WebSocket to the
// VM's XAPI console on the simulator; Debian's vncsnapshot, through a TCP↔WebSocket shim, is the referee VNC client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, simFault } from '@xenplane/testing';
import { closed, rfbHandshake, tcpToWebSocket, vncReferee, vncSnapshot } from './console/console-client.js';
import { assertNoXapiSession, startConsoleFixture, tokenHash, type ConsoleFixture } from './console/console-fixture.js';
import { client, OPERATOR_TOKEN } from './stack.js';

const missing = await vncReferee();
if (missing && process.env.CI === 'true') throw new Error(`CI=true but the console referee cannot run: ${missing}`);

let f: ConsoleFixture;
before(async () => {
  f = await startConsoleFixture(2);
});
after(async () => {
  await f?.stack.stop();
});

describe('tenant consoles', () => {
  test('a real VNC client completes the RFB handshake and draws the framebuffer through the public URL', { skip: missing }, async () => {
    const res = await f.A('POST', `/v1/vms/${f.vmId}/console`);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.match(res.body.url, new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/v1/consoles/connect\\?token=[A-Za-z0-9_-]{43}$`));
    assert.ok(Date.parse(res.body.expiresAt) > Date.now(), 'not expired yet');
    assert.equal(res.headers.get('cache-control'), 'no-store');

    const o = await f.connect(res.body.url);
    assert.ok(o.ok);
    assert.equal(o.protocol, 'binary', 'the subprotocol noVNC offers');
    const screen = await rfbHandshake(o.stream);
    const ref = await f.pool('VM.get_by_uuid', (await f.A('GET', `/v1/vms/${f.vmId}`)).body.xapiUuid);
    assert.equal(screen.version, 'RFB 003.008\n');
    assert.equal(screen.name, await f.pool('VM.get_name_label', ref), "the desktop is this VM's");
    assert.ok(screen.pixelBytes > 0);
    o.ws.close();
    await closed(o.ws);

    const shim = await tcpToWebSocket(() => f.consoleUrl(f.A, f.vmId));
    try {
      const picture = await vncSnapshot(shim.port);
      assert.deepEqual([picture.width, picture.height], [screen.width, screen.height]);
      assert.ok(picture.jpegBytes > 1000, 'a JPEG of the screen');
    } finally {
      await shim.close();
    }
  });

  test('a token opens one session: used, expired, unknown or revoked-key tokens are 401', async () => {
    const url = await f.consoleUrl(f.A, f.vmId);
    const first = await f.connect(url);
    assert.ok(first.ok);
    await f.refused(url, 401, 'unauthenticated');
    first.ws.close();
    await closed(first.ws);

    const late = await f.consoleUrl(f.A, f.vmId);
    // 30 s pass: the row's deadline is moved instead of the test waiting for it
    const moved = await f.sql((db) =>
      db.query(`UPDATE console_sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [tokenHash(late)]),
    );
    assert.equal(moved.rowCount, 1, 'only the hash of the token is stored');
    await f.refused(late, 401, 'unauthenticated');
    await f.refused(url.replace(/token=.*/, `token=${'A'.repeat(43)}`), 401, 'unauthenticated');
    await f.refused(url.replace(/\?.*/, ''), 401, 'unauthenticated');
    await f.refused(url.replace('/v1/consoles/connect', '/v1/consoles/elsewhere'), 404, 'not_found');

    const op = client(f.stack.api.url, OPERATOR_TOKEN);
    const member = (await op('POST', `/v1/tenants/${f.tenantA}/api-keys`, { name: 'member', role: 'member' })).body;
    const byMember = await f.consoleUrl(f.recording(client(f.stack.api.url, member.token)), f.vmId);
    assert.equal((await op('DELETE', `/v1/tenants/${f.tenantA}/api-keys/${member.id}`)).status, 204);
    await f.refused(byMember, 401, 'unauthenticated');
  });

  test('RFB travels in binary frames: a text frame ends the session (1003)', async () => {
    const o = await f.connect(await f.consoleUrl(f.A, f.vmId));
    assert.ok(o.ok);
    const code = closed(o.ws);
    o.ws.send('RFB 003.008\n');
    assert.equal(await code, 1003);
  });

  test("another tenant's VM is 404 like a missing one; a VM that is not running is 409, when asked and at connect", async () => {
    const theirs = await f.B('POST', `/v1/vms/${f.vmId}/console`);
    const none = await f.B('POST', `/v1/vms/00000000-0000-4000-8000-000000000000/console`);
    assert.deepEqual([theirs.status, theirs.body.code], [404, 'not_found']);
    assert.equal(none.status, 404);

    const other = await f.runningVm('console-stopping');
    const url = await f.consoleUrl(f.A, other);
    assert.equal((await f.A('POST', `/v1/vms/${other}/actions`, { action: 'stop' })).status, 202);
    await eventually('stopped', async () => ((await f.A('GET', `/v1/vms/${other}`)).body.status === 'stopped' ? true : undefined));
    await f.refused(url, 409, 'invalid_state');
    const asked = await f.A('POST', `/v1/vms/${other}/console`);
    assert.deepEqual([asked.status, asked.body.code], [409, 'invalid_state']);
  });

  test('at most CONSOLE_MAX_SESSIONS_PER_VM (2 here) sessions per VM, counted when asked and again at connect', async () => {
    const one = await f.connect(await f.consoleUrl(f.A, f.vmId));
    assert.ok(one.ok);
    const [second, third] = [await f.consoleUrl(f.A, f.vmId), await f.consoleUrl(f.A, f.vmId)];
    const two = await f.connect(second);
    assert.ok(two.ok);
    await f.refused(third, 409, 'console_limit_reached');
    const asked = await f.A('POST', `/v1/vms/${f.vmId}/console`);
    assert.deepEqual([asked.status, asked.body.code, asked.body.limit], [409, 'console_limit_reached', 2]);
    one.ws.close();
    await closed(one.ws);
    await eventually('a place is free again', async () => ((await f.A('POST', `/v1/vms/${f.vmId}/console`)).status === 201 ? true : undefined));
    two.ws.close();
    await closed(two.ws);
  });

  test('each session is audited with its duration when it closes; refusals after a good token are audited as failed', async () => {
    const before = Date.now();
    const o = await f.connect(await f.consoleUrl(f.A, f.vmId));
    assert.ok(o.ok);
    await rfbHandshake(o.stream);
    await new Promise((r) => setTimeout(r, 300));
    o.ws.close();
    await closed(o.ws);
    const held = Date.now() - before;
    const rows = await eventually('the audit row', async () => {
      const items = (await f.A('GET', '/v1/audit?limit=500')).body.items.filter((x: any) => x.method === 'CONSOLE' && x.resourceId === f.vmId);
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
    const uuid = (await f.A('GET', `/v1/vms/${f.vmId}`)).body.xapiUuid;
    const ref = await f.pool('VM.get_by_uuid', uuid);
    const name = await f.pool('VM.get_name_label', ref);
    const open = async () => {
      const o = await f.connect(await f.consoleUrl(f.A, f.vmId));
      assert.ok(o.ok);
      assert.equal((await rfbHandshake(o.stream)).name, name);
      return o;
    };

    const beforeReboot = await open();
    const domid = await f.pool('VM.get_domid', ref);
    const reboot = await f.A('POST', `/v1/vms/${f.vmId}/actions`, { action: 'reboot' });
    assert.equal(reboot.status, 202);
    await eventually('reboot done', async () =>
      (await f.A('GET', `/v1/operations/${reboot.body.operation.id}`)).body.status === 'succeeded' ? true : undefined,
    );
    assert.notEqual(await f.pool('VM.get_domid', ref), domid, 'a new domain');
    await closed(beforeReboot.ws);
    const afterReboot = await open();

    const from = await f.pool('VM.get_resident_on', ref);
    const to = (await f.pool('host.get_all')).find((h: string) => h !== from);
    await f.pool('VM.pool_migrate', ref, to, { live: 'true' });
    await closed(afterReboot.ws);
    const afterMigration = await open();
    const toUuid = await f.pool('host.get_uuid', to);
    await eventually('the API sees the new host', async () =>
      (await f.A('GET', `/v1/vms/${f.vmId}`)).body.hostXapiUuid === toUuid ? true : undefined,
    );
    afterMigration.ws.close();
    await closed(afterMigration.ws);
  });

  test('a pool that fails to open the console is 503 unavailable (the token is spent, the refusal audited)', async () => {
    const url = await f.consoleUrl(f.A, f.vmId);
    await simFault(f.stack.sim, { method: 'VM.get_consoles', code: 'INTERNAL_ERROR', times: 1 });
    await f.refused(url, 503, 'unavailable');
    await f.refused(url, 401, 'unauthenticated');
    const rows = await eventually('audited', async () => {
      const items = (await f.A('GET', '/v1/audit?limit=500')).body.items.filter((x: any) => x.method === 'CONSOLE' && x.errorCode === 'unavailable');
      return items.length ? items : undefined;
    });
    assert.equal(rows[0].status, 503);
    const o = await f.connect(await f.consoleUrl(f.A, f.vmId));
    assert.ok(o.ok, 'the next console works');
    o.ws.close();
    await closed(o.ws);
  });

  test("revoking a key closes its open sessions (1008) at the gateway's next refresh", async () => {
    const op = client(f.stack.api.url, OPERATOR_TOKEN);
    const member = (await op('POST', `/v1/tenants/${f.tenantA}/api-keys`, { name: 'short-lived', role: 'member' })).body;
    const o = await f.connect(await f.consoleUrl(f.recording(client(f.stack.api.url, member.token)), f.vmId));
    assert.ok(o.ok);
    await rfbHandshake(o.stream);
    const code = closed(o.ws);
    assert.equal((await op('DELETE', `/v1/tenants/${f.tenantA}/api-keys/${member.id}`)).status, 204);
    assert.equal(await code, 1008);
  });

  test("bad tokens are failed authentication: past the address's budget (60 a minute) they get 429, good tokens still work", async () => {
    const bad = (await f.consoleUrl(f.A, f.vmId)).replace(/token=.*/, `token=${'b'.repeat(43)}`);
    let answer: { status: number; code: string } | undefined;
    for (let i = 0; i < 100 && answer?.status !== 429; i++) {
      const o = await f.connect(bad);
      assert.ok(!o.ok);
      answer = { status: o.status, code: o.body.code };
    }
    assert.deepEqual(answer, { status: 429, code: 'rate_limited' });
    const o = await f.connect(await f.consoleUrl(f.A, f.vmId));
    assert.ok(o.ok, 'a good token is never charged');
    o.ws.close();
    await closed(o.ws);
  });

  test('no response and no log line of the API or the worker carries a XAPI session', async () => {
    await assertNoXapiSession(f);
  });
});
