import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeriodicTask } from './periodic-task.js';

test('kicks during a run coalesce into one more run, never two at once', async () => {
  let active = 0;
  let maxActive = 0;
  let runs = 0;
  const task = new PeriodicTask(
    async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs++;
      await new Promise((r) => setTimeout(r, 20));
      active--;
    },
    60_000,
    () => undefined,
  );
  await Promise.all([task.kick(), task.kick(), task.kick(), task.kick()]);
  assert.equal(maxActive, 1);
  assert.equal(runs, 2);
  await task.stop();
  await task.kick();
  assert.equal(runs, 2, 'a stopped task does not run');
});

test('an error is reported and the task keeps working', async () => {
  const errors: unknown[] = [];
  let n = 0;
  const task = new PeriodicTask(
    async () => {
      if (n++ === 0) throw new Error('boom');
    },
    60_000,
    (e) => errors.push(e),
  );
  await task.kick();
  await task.kick();
  assert.equal(errors.length, 1);
  assert.equal(n, 2);
  await task.stop();
});
