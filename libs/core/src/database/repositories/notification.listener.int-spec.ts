// LISTEN against a real Postgres: every channel shares one connection, each NOTIFY reaches its own channel's handlers only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataSource } from 'typeorm';
import { NotificationListener } from './notification.listener.js';

const APP = `xenplane-listen-test-${process.pid}`;
let ds: DataSource;
before(async () => {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/xenplane');
  url.pathname = '/postgres';
  ds = await new DataSource({ type: 'postgres', url: url.toString(), applicationName: APP, extra: { max: 1 } }).initialize();
});
after(async () => {
  await ds?.destroy();
});

const listeners = async () =>
  Number((await ds.query<{ n: string }[]>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1`, [`${APP}-listen`]))[0].n);

function inbox() {
  const got: string[] = [];
  let wake: (() => void) | undefined;
  return {
    got,
    push: (p: string) => {
      got.push(p);
      wake?.();
    },
    next: (n: number) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`only ${got.length} of ${n} notifications: ${got.join(',')}`)), 5_000);
        wake = () => got.length >= n && (clearTimeout(t), resolve());
        wake();
      }),
  };
}

test('four channels hold one connection; a NOTIFY reaches its channel only; the last closer ends the connection', async () => {
  const l = new NotificationListener(ds);
  const pools = inbox();
  const outbox = inbox();
  const closers = [
    await l.listen('pools', pools.push),
    await l.listen('outbox', outbox.push),
    await l.listen('dataplane', () => undefined),
    await l.listen('provider_networks', () => undefined),
  ];
  assert.equal(await listeners(), 1);

  await ds.query(`SELECT pg_notify('pools', 'p1'), pg_notify('outbox', 'o1')`);
  await Promise.all([pools.next(1), outbox.next(1)]);
  assert.deepEqual([pools.got, outbox.got], [['p1'], ['o1']]);

  // A closed channel hears nothing more while the others still do.
  await closers[0]();
  await ds.query(`SELECT pg_notify('pools', 'p2'), pg_notify('outbox', 'o2')`);
  await outbox.next(2);
  assert.deepEqual([pools.got, outbox.got], [['p1'], ['o1', 'o2']]);

  for (const close of closers.slice(1)) await close();
  // The backend leaves pg_stat_activity a moment after the client's end() resolves.
  for (let i = 0; i < 50 && (await listeners()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(await listeners(), 0);
});
