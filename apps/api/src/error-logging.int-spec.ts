// A request that fails in the database is logged with what failed (code, constraint, message) and never with the
// values it carried: not the failed query's parameters, not the row in a constraint's detail, not the request body.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createLogger } from '@xenplane/core';
import { startApi, type ApiHarness } from './testing/api-harness.js';

let api: ApiHarness;
let db: pg.Client;
const lines: string[] = [];

before(async () => {
  api = await startApi({}, { logger: createLogger('api', 'info', { write: (line: string) => void lines.push(line) }) });
  db = new pg.Client({ connectionString: api.db.url });
  await db.connect();
});
after(async () => {
  await db?.end();
  await api?.close();
});

/** Sends `body`, expects the forced database failure (a 500 with a request id), and returns the log lines of that request. */
async function failingRequest(
  path: string,
  body: Record<string, unknown>,
): Promise<{ answer: string; logged: string; error: Record<string, unknown> }> {
  const res = await api.call('POST', path, { body });
  assert.equal(res.status, 500, JSON.stringify(res.body));
  assert.equal(res.body.code, 'internal');
  const logged = lines.filter((l) => l.includes(res.body.requestId)).join('\n');
  // The error filter's line (under load the request may log others, e.g. a slow Redis for the rate limiter).
  const line = lines
    .map((l) => JSON.parse(l) as { requestId?: string; msg?: string; err?: Record<string, unknown> })
    .find((l) => l.requestId === res.body.requestId && l.msg === 'request failed');
  assert.ok(line?.err, `no error line for ${res.body.requestId}`);
  return { answer: JSON.stringify(res.body), logged, error: line.err };
}

describe('database errors in the logs', () => {
  test('a trigger that quotes the value it refuses: the code and message are logged, the value is not', async () => {
    const secret = `secret-${randomUUID()}`;
    await db.query(`CREATE FUNCTION refuse_flavor() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refusing flavor %', NEW.name; END $$`);
    await db.query('CREATE TRIGGER refuse_flavor BEFORE INSERT ON flavors FOR EACH ROW EXECUTE FUNCTION refuse_flavor()');
    const { answer, logged, error } = await failingRequest('/v1/flavors', { name: secret, vcpus: 3, memoryMiB: 1357, diskGiB: 11 });
    assert.equal(error.code, 'P0001', JSON.stringify(error));
    assert.match(String(error.message), /^refusing flavor <redacted>$/);
    assert.match(String(error.stack), /^QueryFailedError: refusing flavor <redacted>\n\s+at /);
    for (const value of [secret, '1357']) {
      assert.ok(!logged.includes(value), `the log carries ${value}: ${logged}`);
      assert.ok(!answer.includes(value));
    }
    assert.doesNotMatch(logged, /"parameters"|"query"|"detail"|"where"/);
  });

  test("a check constraint: its name is logged, the failing row (Postgres's detail) is not", async () => {
    const secret = `tpl-${randomUUID()}`;
    await db.query(`ALTER TABLE images ADD CONSTRAINT ck_images_forced CHECK (template NOT LIKE 'tpl-%')`);
    const { logged, error } = await failingRequest('/v1/images', { name: `img-${secret}`, template: secret });
    assert.equal(error.code, '23514');
    assert.equal(error.constraint, 'ck_images_forced');
    assert.equal(error.table, 'images');
    assert.ok(!logged.includes(secret), logged);
  });

  test('a value Postgres cannot cast is quoted in its message: redacted', async () => {
    const secret = `key-${randomUUID().slice(0, 8)}`;
    await db.query('ALTER TABLE api_keys ALTER COLUMN name TYPE integer USING 0');
    const tenant = await api.call('POST', '/v1/tenants', { body: { name: 'logs-co' } });
    const { logged, error } = await failingRequest(`/v1/tenants/${tenant.body.id}/api-keys`, { name: secret, role: 'member' });
    assert.equal(error.code, '22P02');
    assert.match(String(error.message), /invalid input syntax for type integer: "<redacted>"/);
    assert.ok(!logged.includes(secret), logged);
  });
});
