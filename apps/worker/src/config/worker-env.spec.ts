import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadEnv } from '@xenplane/core';
import { workerEnvSchema } from './worker-env.js';

const problems = (env: Record<string, string>) => {
  try {
    loadEnv(workerEnvSchema, env);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
};

test('OVS TLS files: all three or none, and each must exist', () => {
  assert.deepEqual(problems({}), []);
  const here = new URL(import.meta.url).pathname;
  assert.deepEqual(problems({ OVS_SSL_KEY: here, OVS_SSL_CERT: here, OVS_SSL_CA: here }), []);
  assert.deepEqual(
    problems({ OVS_SSL_KEY: here }).map((p) => p.variable),
    ['OVS_SSL_KEY'],
  );
  assert.deepEqual(problems({ OVS_SSL_KEY: here, OVS_SSL_CERT: here, OVS_SSL_CA: '/nope.pem' }), [
    { variable: 'OVS_SSL_CA', message: 'file not found' },
  ]);
});

test('USER_DATA_KEY: 32 bytes of base64 or unset; anything else stops the worker naming it', () => {
  assert.deepEqual(problems({ USER_DATA_KEY: Buffer.alloc(32, 1).toString('base64') }), []);
  for (const bad of [Buffer.alloc(16, 1).toString('base64'), 'not base64 at all']) {
    assert.deepEqual(
      problems({ USER_DATA_KEY: bad }).map((p) => p.variable),
      ['USER_DATA_KEY'],
    );
  }
});
