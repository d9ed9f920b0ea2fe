// Console sessions across API processes (issue 15): a killed API's sessions, 200 at once through one process, and
// a shutdown with sessions open; real processes on one database, the simulator's consoles behind them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { eventually, startProcess, untilReady } from '@xenplane/testing';
import { closed, rfbHandshake } from './console/console-client.js';
import { assertNoXapiSession, startConsoleFixture, type ConsoleFixture } from './console/console-fixture.js';
import { client } from './stack.js';

let f: ConsoleFixture;
before(async () => {
  f = await startConsoleFixture(2);
});
after(async () => {
  await f?.stack.stop();
});

describe('console sessions across API processes', () => {
  test("a killed API's sessions stop holding places once they go unrefreshed, and are audited as lost", async () => {
    const doomed = startProcess('apps/api/dist/main.js', { ...f.stack.env, PORT: '0', HOST: '127.0.0.1' }, 'api-doomed');
    const port = (await untilReady(doomed, (l) => l.msg === 'api listening')).port as number;
    const me = f.recording(client(`http://127.0.0.1:${port}`, f.tokenOfA));
    const held = [await f.connect(await f.consoleUrl(me, f.vmId)), await f.connect(await f.consoleUrl(me, f.vmId))];
    assert.ok(held.every((o) => o.ok));
    await doomed.stop('SIGKILL');
    f.seen.push(...doomed.logs);
    const asked = await f.A('POST', `/v1/vms/${f.vmId}/console`);
    assert.deepEqual([asked.status, asked.body.code], [409, 'console_limit_reached'], 'still counted while they may be alive');
    await f.sql(async (db) => {
      // 30 s without a refresh pass: their last refresh is moved back instead of the test waiting
      const aged = await db.query(
        `UPDATE console_sessions SET seen_at = seen_at - interval '1 minute' WHERE ended_at IS NULL AND connected_at IS NOT NULL RETURNING id`,
      );
      assert.equal(aged.rowCount, 2);
      const o = await f.connect(await f.consoleUrl(f.A, f.vmId));
      assert.ok(o.ok, 'the places are free again');
      o.ws.close();
      await closed(o.ws);
      const ids = aged.rows.map((r: { id: string }) => r.id);
      const ended = await db.query(`SELECT end_reason FROM console_sessions WHERE id = ANY($1)`, [ids]);
      assert.deepEqual(
        ended.rows.map((r: { end_reason: string }) => r.end_reason),
        ['lost', 'lost'],
      );
      const audited = await db.query(`SELECT duration_ms FROM audit_log WHERE method = 'CONSOLE' AND request_id = ANY($1)`, [ids]);
      assert.equal(audited.rowCount, 2);
      assert.ok(audited.rows.every((r: { duration_ms: string }) => Number(r.duration_ms) >= 0));
    });
  });

  test('200 concurrent sessions through one API process: all relay, the process stays small, and all end cleanly', async () => {
    // A second API on the same database, allowed that many sessions on one VM (the first one's limit is 2).
    const wide = startProcess(
      'apps/api/dist/main.js',
      { ...f.stack.env, PORT: '0', HOST: '127.0.0.1', CONSOLE_MAX_SESSIONS_PER_VM: '250' },
      'api-wide',
    );
    const port = (await untilReady(wide, (l) => l.msg === 'api listening')).port as number;
    const url = `http://127.0.0.1:${port}`;
    const rss = async () => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${wide.child.pid}/status`, 'utf8'))![1]) * 1024;
    const gauge = async () => Number(/^xenplane_console_sessions_open (\d+)/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1]);
    try {
      const me = f.recording(client(url, f.tokenOfA));
      const before = await rss();
      const sessions = await Promise.all(
        Array.from({ length: 200 }, async () => {
          const o = await f.connect(await f.consoleUrl(me, f.vmId));
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
    f.seen.push(...wide.logs);
  });

  test('no response and no log line of the API or the worker carries a XAPI session', async () => {
    await assertNoXapiSession(f);
  });

  // Last: it stops the API.
  test('an API shutting down closes its sessions (1001) and audits them before it exits', async () => {
    const o = await f.connect(await f.consoleUrl(f.A, f.vmId));
    assert.ok(o.ok);
    await rfbHandshake(o.stream);
    const code = closed(o.ws);
    assert.equal(await f.stack.api.stop('SIGTERM'), 0, 'a clean exit, not one forced by open sockets');
    assert.equal(await code, 1001);
    await f.sql(async (db) => {
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
    });
  });
});
