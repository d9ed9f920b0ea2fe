// The stack the console end-to-end tests share: real processes, two tenants, one running VM of A's, and helpers
// that keep every answer they see (so that a test can prove none carries a XAPI session).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { eventually, simState, xapi, type XapiCall } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from '../stack.js';
import { openConsole } from './console-client.js';

export type Client = ReturnType<typeof client>;

export interface ConsoleFixture {
  stack: Stack;
  pool: XapiCall;
  A: Client;
  B: Client;
  tenantA: string;
  tokenOfA: string;
  vmId: string;
  /** Every HTTP answer body, WebSocket refusal and extra process log line the tests saw. */
  seen: string[];
  recording(c: Client): Client;
  runningVm(name: string): Promise<string>;
  consoleUrl(me: Client, vmId: string): Promise<string>;
  connect(url: string): ReturnType<typeof openConsole>;
  refused(url: string, status: number, code: string): Promise<void>;
  /** Runs `fn` with a connection to the stack's database. */
  sql<T>(fn: (db: pg.Client) => Promise<T>): Promise<T>;
}

/** The SHA-256 of a console URL's token: all the database keeps of it. */
export const tokenHash = (url: string) => createHash('sha256').update(new URL(url).searchParams.get('token')!).digest();

export async function startConsoleFixture(maxSessionsPerVm: number): Promise<ConsoleFixture> {
  const stack = await startStack({ SIM_HOSTS: '2' }, { CONSOLE_MAX_SESSIONS_PER_VM: String(maxSessionsPerVm) });
  const seen: string[] = [];
  const recording =
    (c: Client): Client =>
    async (method, path, body) => {
      const res = await c(method, path, body);
      seen.push(JSON.stringify(res.body ?? null));
      return res;
    };
  const op = recording(client(stack.api.url, OPERATOR_TOKEN));
  const flavorId = (await op('POST', '/v1/flavors', { name: 'small', vcpus: 1, memoryMiB: 512, diskGiB: 10 })).body.id;
  const imageId = (await op('POST', '/v1/images', { name: 'debian-12', template: 'Debian Bookworm 12' })).body.id;
  const tenant = async (name: string) => {
    const t = (await op('POST', '/v1/tenants', { name })).body;
    const key = (await op('POST', `/v1/tenants/${t.id}/api-keys`, { name: 'admin', role: 'admin' })).body.token as string;
    return { id: t.id as string, key, me: recording(client(stack.api.url, key)) };
  };
  const [a, b] = [await tenant('console-a'), await tenant('console-b')];
  const runningVm = async (name: string): Promise<string> => {
    const created = await a.me('POST', '/v1/vms', { name, flavorId, imageId });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const id = created.body.vm.id as string;
    return eventually(`${name} running`, async () => ((await a.me('GET', `/v1/vms/${id}`)).body.status === 'running' ? id : undefined));
  };
  const connect = async (url: string) => {
    const o = await openConsole(url);
    if (!o.ok) seen.push(JSON.stringify(o.body));
    return o;
  };
  return {
    stack,
    pool: await xapi(stack.sim.url),
    A: a.me,
    B: b.me,
    tenantA: a.id,
    tokenOfA: a.key,
    vmId: await runningVm('console-web'),
    seen,
    recording,
    runningVm,
    connect,
    async consoleUrl(me, vmId) {
      const res = await me('POST', `/v1/vms/${vmId}/console`);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.url as string;
    },
    async refused(url, status, code) {
      const o = await connect(url);
      assert.ok(!o.ok, `expected ${status} ${code}, the console opened`);
      assert.deepEqual([o.status, o.body.code], [status, code], JSON.stringify(o.body));
    },
    async sql(fn) {
      const db = new pg.Client({ connectionString: stack.db.url });
      await db.connect();
      try {
        return await fn(db);
      } finally {
        await db.end();
      }
    },
  };
}

/** No answer the tests saw and no log line of the API(s) or the worker carries a XAPI session id. */
export async function assertNoXapiSession(f: ConsoleFixture): Promise<void> {
  assert.ok((await simState(f.stack.sim)).originators['xenplane-console'] >= 1, 'the API logged in to open consoles');
  assert.ok(
    f.stack.api.logs.some((l) => l.includes('"console session closed"')),
    "the API's log lines were captured",
  );
  // The probe tells a session from anything else: a session of the test's own is found.
  const login = await fetch(`${f.stack.sim.url}/jsonrpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'session.login_with_password', params: ['root', 'xenroot', '1.0', 'probe'] }),
  });
  const own = ((await login.json()) as { result: string }).result;
  assert.equal((await f.pool('session.get_record', own)).originator, 'probe');
  const texts = [...f.seen, ...f.stack.api.logs, ...f.stack.worker.logs];
  const refs = new Set(texts.flatMap((t) => t.match(/OpaqueRef:[0-9a-f-]{36}/g) ?? []));
  for (const r of refs) await assert.rejects(f.pool('session.get_record', r), /HANDLE_INVALID|SESSION_INVALID/, `${r} is a XAPI session`);
  for (const t of texts) assert.doesNotMatch(t, /session_id/i);
}
