import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { eventually, type SimProcess, startSimProcess } from '@xenplane/testing';
import { client, OPERATOR_TOKEN, startStack, type Stack } from './stack.js';

let stack: Stack;
let second: SimProcess;
before(async () => {
  [stack, second] = await Promise.all([startStack(), startSimProcess({ SIM_HOSTS: '3', SIM_PASSWORD: 'second-secret' })]);
});
after(async () => {
  await stack?.stop();
  await second?.stop();
});

test('the pool from the environment shows its hosts as the worker saw them', async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const pools = await eventually('default pool connected', async () => {
    const r = await op('GET', '/v1/pools');
    return r.body.items[0]?.status === 'connected' ? r.body.items : undefined;
  });
  assert.equal(pools.length, 1);
  assert.equal(pools[0].fromEnvironment, true);
  assert.equal(pools[0].hostCount, 2);
  const hosts = (await op('GET', `/v1/hosts?poolId=${pools[0].id}`)).body.items;
  assert.deepEqual(hosts.map((h: { name: string }) => h.name).sort(), ['sim-host-1', 'sim-host-2']);
  assert.ok(
    hosts.every(
      (h: { memoryTotalMiB: number; memoryFreeMiB: number; live: boolean; enabled: boolean }) =>
        h.memoryTotalMiB > 0 && h.memoryFreeMiB > 0 && h.memoryFreeMiB <= h.memoryTotalMiB && h.live && h.enabled,
    ),
  );
});

test('an operator registers a pool: the password is sealed at rest, never returned, and the worker connects', async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const created = await op('POST', '/v1/pools', { name: 'second', url: second.url, username: 'root', password: 'second-secret' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.status, 'pending');
  assert.ok(!JSON.stringify(created.body).includes('second-secret'));
  const connected = await eventually('second pool connected', async () => {
    const r = await op('GET', `/v1/pools/${created.body.id}`);
    return r.body.status === 'connected' ? r.body : undefined;
  });
  assert.equal(connected.hostCount, 3);
  assert.match(connected.xapiPoolUuid, /^[0-9a-f-]{36}$/);
  assert.equal((await op('GET', `/v1/hosts?poolId=${created.body.id}`)).body.items.length, 3);
  assert.equal((await op('GET', '/v1/hosts')).body.items.length, 5);

  const db = new pg.Client({ connectionString: stack.db.url });
  await db.connect();
  const { rows } = await db.query('SELECT password_enc FROM pools WHERE id = $1', [created.body.id]);
  await db.end();
  assert.ok(Buffer.isBuffer(rows[0].password_enc));
  assert.ok(!rows[0].password_enc.includes(Buffer.from('second-secret')), 'not stored in clear');
});

test('a pool with the wrong password is reported in error with the XAPI reason', async () => {
  const op = client(stack.api.url, OPERATOR_TOKEN);
  const created = await op('POST', '/v1/pools', { name: 'wrong', url: second.url, username: 'root', password: 'nope' });
  const failed = await eventually('wrong pool in error', async () => {
    const r = await op('GET', `/v1/pools/${created.body.id}`);
    return r.body.status === 'error' ? r.body : undefined;
  });
  assert.match(failed.lastError, /SESSION_AUTHENTICATION_FAILED/);
  assert.equal((await op('POST', '/v1/pools', { name: 'wrong', url: second.url, username: 'root', password: 'x' })).status, 409);
  assert.equal((await op('POST', '/v1/pools', { name: 'bad-url', url: 'ftp://x', username: 'root', password: 'x' })).status, 400);
});
