import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { ConfigError, loadEnv } from './load-env.js';
import { baseEnv, port } from './env-fragments.js';

const schema = z.object({ ...baseEnv, PORT: port.default(3000) });

test('defaults fill what is unset, and empty strings count as unset', () => {
  const cfg = loadEnv(schema, { PORT: '' });
  assert.equal(cfg.PORT, 3000);
  assert.equal(cfg.DATABASE_URL, 'postgres://postgres@127.0.0.1:5432/xenplane');
  assert.equal(cfg.LOG_LEVEL, 'info');
});

test('every malformed variable is named in one error', () => {
  assert.throws(
    () => loadEnv(schema, { PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems.map((p) => p.variable).sort(), ['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
      assert.match(err.message, /DATABASE_URL: must be a URL with scheme postgres or postgresql/);
      return true;
    },
  );
});

test('LOG_LEVEL takes the same values here as in the simulator (npm start gives all three processes one environment)', () => {
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    assert.equal(loadEnv(schema, { LOG_LEVEL: level }).LOG_LEVEL, level);
});
