// The outbox relay on Postgres and real Redis: committed rows become BullMQ jobs once, and wait out a Redis outage.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { LOGGER, NotificationListener, OutboxRepository, QueueName, bullConnectionOptions, type OperationEntity } from '@xenplane/core';
import { redisServer, type RedisServer } from '@xenplane/testing';
import { startWorkerFixture, type WorkerFixture } from '../testing/worker-fixture.js';
import { JobEnqueuer, type Enqueue } from './job-enqueuer.js';
import { OutboxRelayService } from './outbox-relay.service.js';

/** The real enqueuer, remembering what it was asked to enqueue. */
class RecordingEnqueuer extends JobEnqueuer {
  readonly enqueued: string[] = [];

  override async enqueue(e: Enqueue): Promise<void> {
    await super.enqueue(e);
    this.enqueued.push(e.operationId);
  }
}

let fx: WorkerFixture;
let redis: RedisServer | undefined;
before(async () => {
  fx = await startWorkerFixture();
});
after(async () => {
  await fx?.close();
  await redis?.stop();
});

const queue = () => fx.get(JobEnqueuer).queue(QueueName.VmLifecycle);
const relayOn = (q: Queue) => {
  const enqueuer = new RecordingEnqueuer(q, fx.config);
  return {
    enqueuer,
    relay: new OutboxRelayService(fx.ds, fx.get(OutboxRepository), fx.get(NotificationListener), enqueuer, fx.config, fx.module.get(LOGGER)),
  };
};
async function accepted(n: number): Promise<OperationEntity[]> {
  const tenantId = await fx.seed.tenant();
  const ops: OperationEntity[] = [];
  for (let i = 0; i < n; i++) ops.push((await fx.seed.vm(tenantId)).operation);
  return ops;
}

test('committed outbox rows become BullMQ jobs whose id is the operation id', async () => {
  const ops = await accepted(3);
  assert.equal(await fx.get(OutboxRepository).pendingCount(), 3);
  await relayOn(queue()).relay.kick();
  assert.equal(await fx.get(OutboxRepository).pendingCount(), 0);
  for (const op of ops) {
    const job = await queue().getJob(op.id);
    assert.ok(job, `job ${op.id}`);
    assert.deepEqual([job.name, job.data, job.opts.attempts], ['vm.create', { tenantId: op.tenantId, operationId: op.id }, 8]);
  }
});

test('two relays draining at once enqueue each operation once', async () => {
  const ops = await accepted(40);
  const [a, b] = [relayOn(queue()), relayOn(queue())];
  await Promise.all([a.relay.kick(), b.relay.kick()]);
  const all = [...a.enqueuer.enqueued, ...b.enqueuer.enqueued];
  assert.deepEqual(all.sort(), ops.map((o) => o.id).sort(), 'every row once, none twice');
  assert.equal(await fx.get(OutboxRepository).pendingCount(), 0);
});

test('rows stay undispatched while Redis is unreachable, and are enqueued once it is back', { timeout: 60_000 }, async () => {
  redis = await redisServer({ start: false });
  const down = new Queue(QueueName.VmLifecycle, { connection: bullConnectionOptions(redis.url), prefix: fx.config.QUEUE_PREFIX });
  down.on('error', () => undefined);
  try {
    const ops = await accepted(2);
    const { relay, enqueuer } = relayOn(down);
    await relay.kick();
    assert.equal(await fx.get(OutboxRepository).pendingCount(), 2, 'nothing is marked dispatched');
    assert.deepEqual(enqueuer.enqueued, []);
    assert.ok(fx.logs.some((l) => l.msg === 'outbox relay could not dispatch; will retry'));

    await redis.start();
    await relay.kick();
    assert.equal(await fx.get(OutboxRepository).pendingCount(), 0);
    for (const op of ops) assert.equal((await down.getJob(op.id))?.name, 'vm.create');
  } finally {
    await down.close();
  }
});
