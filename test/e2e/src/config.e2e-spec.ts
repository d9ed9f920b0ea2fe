import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startProcess } from '@xenplane/testing';

for (const [entry, env, variable] of [
  ['apps/api/dist/main.js', { PORT: 'eighty' }, 'PORT'],
  ['apps/api/dist/main.js', { DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
  ['apps/api/dist/main.js', { LIVE_RESIZE_HEADROOM: '0.5' }, 'LIVE_RESIZE_HEADROOM'],
  ['apps/api/dist/main.js', { LIVE_RESIZE_HEADROOM: 'double' }, 'LIVE_RESIZE_HEADROOM'],
  ['apps/worker/dist/main.js', { WORKER_CONCURRENCY: '0' }, 'WORKER_CONCURRENCY'],
  ['apps/worker/dist/main.js', { XAPI_URL: 'ftp://pool' }, 'XAPI_URL'],
  ['apps/xapi-sim/dist/main.js', { SIM_HOSTS: 'many' }, 'SIM_HOSTS'],
] as const) {
  test(`${entry} refuses to start with a bad ${variable}, naming it`, async () => {
    const proc = startProcess(entry, { ...env }, entry);
    const code = await new Promise<number | null>((resolve) => proc.child.once('close', resolve));
    assert.equal(code, 1);
    const output = proc.logs.join('\n');
    assert.match(output, new RegExp(variable));
    assert.doesNotMatch(output, /\n\s+at /, 'no stack trace');
  });
}
