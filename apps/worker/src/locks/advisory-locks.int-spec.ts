import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataSource } from 'typeorm';
import { AdvisoryLocks } from '@xenplane/core';
import { createTestDatabase, type TestDatabase } from '@xenplane/testing';

// Two AdvisoryLocks on two data sources stand for two worker processes.
let db: TestDatabase;
let dsA: DataSource;
let dsB: DataSource;
before(async () => {
  db = await createTestDatabase();
  const open = (app: string) => new DataSource({ type: 'postgres', url: db.url, applicationName: app, extra: { max: 2 } }).initialize();
  [dsA, dsB] = await Promise.all([open('worker-a'), open('worker-b')]);
});
after(async () => {
  await Promise.all([dsA?.destroy(), dsB?.destroy()]);
  await db?.drop();
});

const backends = async (app: string) =>
  Number((await dsA.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`, [app]))[0].n);

test('a hundred locks held at once cost one connection, exclude other workers and this one, and are released', async () => {
  const a = new AdvisoryLocks(dsA);
  const b = new AdvisoryLocks(dsB);
  const names = Array.from({ length: 100 }, (_, i) => `pool:${i}`);
  const leases = await Promise.all(names.map((n) => a.tryHold(n)));
  assert.ok(leases.every((l) => l !== null));
  assert.equal(await backends('worker-a-locks'), 1, 'one lock session holds them all');
  assert.ok((await backends('worker-a')) <= 2, 'no pooled connection is held for them');

  assert.equal(await b.tryHold('pool:7'), null, 'another worker is refused');
  assert.equal(await a.tryHold('pool:7'), null, 'so is a second taker in the same worker (Postgres would grant it)');
  assert.equal(await b.tryWith('pool:8', async () => assert.fail('must not run')), false);

  await leases[7].release();
  const taken = await b.tryHold('pool:7');
  assert.ok(taken, 'released locks are free for others at once');
  await taken.release();
  await Promise.all(leases.map((l) => l.release()));
  await a.onApplicationShutdown();
  await b.onApplicationShutdown();
});

test('when a lock session dies every holder is told, and another worker takes the locks over', async () => {
  const a = new AdvisoryLocks(dsA);
  const b = new AdvisoryLocks(dsB);
  const lease = (await a.tryHold('host:1'))!;
  const ran: string[] = [];
  const running = a.tryWith('recount', async (lost) => {
    ran.push('started');
    await new Promise((r) => lost.addEventListener('abort', r));
    ran.push('lost');
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(await b.tryHold('host:1'), null);

  // The session's backend goes away (a crashed worker, a Postgres restart, a network cut).
  await dsB.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'worker-a-locks'`);
  // The loss may be signalled before the terminate query even answers: look before waiting for it.
  const lost = lease.lost.aborted ? Promise.resolve() : new Promise((r) => lease.lost.addEventListener('abort', r));
  await Promise.race([lost, new Promise((_, j) => setTimeout(() => j(new Error('no loss signal')), 5000))]);
  assert.equal(await running, true);
  assert.deepEqual(ran, ['started', 'lost']);
  const takeover = await b.tryHold('host:1');
  assert.ok(takeover, 'the other worker owns it now');

  // The first worker opens a fresh session on next use, and is refused what it lost.
  assert.equal(await a.tryHold('host:1'), null);
  assert.ok(await a.tryHold('host:2'));
  await lease.release(); // a stale lease releases nothing
  assert.equal(await a.tryHold('host:1'), null, 'still owned by the other worker');
  await a.onApplicationShutdown();
  await b.onApplicationShutdown();
});
