// The operation sweeper on Postgres and real BullMQ: an unfinished operation whose job is lost comes back once.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { UnrecoverableError, Worker, type Job, type Processor } from 'bullmq';
import { AdvisoryLocks, LOGGER, OperationRepository, QueueName, bullConnectionOptions, type OperationEntity } from '@xenplane/core';
import { eventually } from '@xenplane/testing';
import { startWorkerFixture, type WorkerFixture } from '../testing/worker-fixture.js';
import { JobEnqueuer } from './job-enqueuer.js';
import { OperationSweeperService } from './operation-sweeper.service.js';

let fx: WorkerFixture;
let sweeper: OperationSweeperService;
before(async () => {
  fx = await startWorkerFixture({ env: { WORKER_LOCK_MS: '1000' } });
  sweeper = new OperationSweeperService(fx.get(OperationRepository), fx.get(AdvisoryLocks), fx.get(JobEnqueuer), fx.config, fx.module.get(LOGGER));
});
after(async () => {
  await fx?.close();
});
// Each test judges its own operation alone: earlier ones are finished and the queue emptied.
afterEach(async () => {
  await fx.ds.query(`UPDATE operations SET status = 'succeeded' WHERE status IN ('queued', 'running')`);
  await queue().obliterate({ force: true });
});

const queue = () => fx.get(JobEnqueuer).queue(QueueName.VmLifecycle);
const state = async (op: OperationEntity) => (await (await queue().getJob(op.id))?.getState()) ?? 'missing';
const reenqueued = (op: OperationEntity) => fx.logs.filter((l) => l.operationId === op.id && l.msg === 'unfinished operation re-enqueued').length;

/** An accepted VM whose job the relay enqueued, made older than two lock periods unless `young`. */
async function relayed({ young = false } = {}): Promise<OperationEntity> {
  const tenantId = await fx.seed.tenant();
  const { operation } = await fx.seed.vm(tenantId);
  await fx.get(JobEnqueuer).enqueue({ queue: QueueName.VmLifecycle, job: operation.kind, tenantId, operationId: operation.id });
  if (!young) await fx.ds.query(`UPDATE operations SET created_at = now() - interval '1 hour' WHERE id = $1`, [operation.id]);
  return operation;
}

/** A real BullMQ consumer of the queue, as another worker would be. */
function consumer(process: Processor): Worker {
  const worker = new Worker(QueueName.VmLifecycle, process, {
    connection: bullConnectionOptions(fx.config.REDIS_URL),
    prefix: fx.config.QUEUE_PREFIX,
  });
  worker.on('error', () => undefined);
  return worker;
}

test('an operation whose job was removed from the queue is enqueued again, once', async () => {
  const op = await relayed();
  await (await queue().getJob(op.id))!.remove();
  await sweeper.sweep();
  assert.equal(await state(op), 'waiting');
  await sweeper.sweep();
  assert.equal(reenqueued(op), 1, 'a job waiting again is left alone');
  assert.deepEqual((await queue().getJob(op.id))!.data, { tenantId: op.tenantId, operationId: op.id });
});

test('an operation whose job failed for good is retried, once', async () => {
  const op = await relayed();
  const worker = consumer(() => Promise.reject(new UnrecoverableError('lost for good')));
  try {
    await eventually('the job failed', async () => (await state(op)) === 'failed', 10_000);
  } finally {
    await worker.close();
  }
  await sweeper.sweep();
  await sweeper.sweep();
  assert.equal(await state(op), 'waiting');
  assert.equal(reenqueued(op), 1);
});

test('an operation whose job completed without finishing it is enqueued again', async () => {
  const op = await relayed();
  const worker = consumer(() => Promise.resolve());
  try {
    await eventually('the job completed', async () => (await state(op)) === 'completed', 10_000);
  } finally {
    await worker.close();
  }
  await sweeper.sweep();
  assert.equal(await state(op), 'waiting');
  assert.equal(reenqueued(op), 1);
});

test('an operation whose job is in flight is left alone', async () => {
  const op = await relayed();
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let seen: Job | undefined;
  const worker = consumer(async (job) => {
    seen = job;
    await held;
  });
  try {
    await eventually('the job active', async () => (await state(op)) === 'active', 10_000);
    await sweeper.sweep();
    assert.equal(await state(op), 'active');
    assert.equal(reenqueued(op), 0);
    assert.equal(seen?.id, op.id);
  } finally {
    release();
    await worker.close();
  }
});

test('a young operation is left alone even without a job: the relay may not have run yet', async () => {
  const op = await relayed({ young: true });
  await (await queue().getJob(op.id))!.remove();
  await sweeper.sweep();
  assert.equal(await state(op), 'missing');
  assert.equal(reenqueued(op), 0);
});
