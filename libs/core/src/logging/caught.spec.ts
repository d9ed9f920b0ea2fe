import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { metricsRegistry } from '../metrics/metrics.js';
import { caught } from './caught.js';

test('an error background work gets past is logged with its context and counted, and the fallback is returned', async () => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  );
  const count = async () =>
    (await metricsRegistry.getSingleMetric('xenplane_background_errors_total')!.get()).values.find((v) => v.labels.task === 'pool sync')?.value ?? 0;
  const before = await count();
  const result = await Promise.reject(new Error('connection refused')).catch(caught(logger, 'pool sync', 'fallback', { poolId: 'p-1' }));
  assert.equal(result, 'fallback');
  assert.equal((await count()) - before, 1);
  assert.equal(lines.length, 1);
  assert.deepEqual([lines[0].level, lines[0].task, lines[0].poolId, lines[0].err], [40, 'pool sync', 'p-1', 'connection refused']);
});
