// Test helper: the worker's real modules on a fresh database, a simulator and a private Redis prefix, with the
// background owners (relay, sweeper, queue consumer, pool sync) left out unless asked for, so a test drives attempts.
import { Test, type TestingModule } from '@nestjs/testing';
import type { Provider, Type } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import {
  OperationRepository,
  PoolRepository,
  QueueName,
  REDIS,
  VmRepository,
  createLogger,
  jobOptions,
  type OperationEntity,
  type VmEntity,
} from '@xenplane/core';
import {
  createTestDatabase,
  simState,
  startSimProcess,
  testRedisPrefix,
  TEST_USER_DATA_KEY,
  xapi,
  type SimProcess,
  type TestDatabase,
  type XapiCall,
} from '@xenplane/testing';
import { loadWorkerConfig, type WorkerConfig } from '../config/worker-env.js';
import { NetworksModule } from '../networks/networks.module.js';
import { OperationRunner } from '../pipeline/operation-runner.js';
import { OperationSweeperService } from '../pipeline/operation-sweeper.service.js';
import { OperationsProcessor } from '../pipeline/operations.processor.js';
import { OutboxRelayService } from '../pipeline/outbox-relay.service.js';
import { PoolSyncService } from '../pools/pool-sync.service.js';
import { VmsModule } from '../vms/vms.module.js';
import { VolumesModule } from '../volumes/volumes.module.js';
import { SnapshotsModule } from '../snapshots/snapshots.module.js';
import { ImagesModule } from '../images/images.module.js';
import { WorkerModule } from '../worker.module.js';
import { WorkerSeeds, type VmSpec } from './worker-seeds.js';

/** The pipeline's and the pools' own background loops; feature modules bring theirs only when chosen. */
const OWNERS = [OutboxRelayService, OperationSweeperService, OperationsProcessor, PoolSyncService];

/** The job handlers every fixture boots unless told: each catalogued job needs exactly one. */
export const FIXTURE_FEATURES: Type[] = [VmsModule, NetworksModule, VolumesModule, SnapshotsModule, ImagesModule];

export interface WorkerBootOptions {
  /** Feature modules beside the pipeline and the pools (default: the VM, network, volume and snapshot handlers only). */
  features?: Type[];
  /** Keep the relay, the sweeper, the queue's consumer and pool sync running (default: left out). */
  owners?: boolean;
  /** More providers in the root module (e.g. a second handler for a job). */
  providers?: Provider[];
  /** Worker environment on top of the fixture's. */
  env?: Record<string, string>;
}

export interface WorkerApp {
  module: TestingModule;
  config: WorkerConfig;
  /** Every log line the worker wrote, parsed. */
  logs: Record<string, unknown>[];
  get: <T>(type: abstract new (...args: never[]) => T) => T;
  close(): Promise<void>;
}

/** Boots the worker's modules against `DATABASE_URL`/`XAPI_URL` in `env`; a boot the registry refuses rejects. */
export async function bootWorker(opts: WorkerBootOptions & { env: Record<string, string> }): Promise<WorkerApp> {
  const config = loadWorkerConfig({
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: testRedisPrefix(),
    JOB_BACKOFF_MS: '10',
    USER_DATA_KEY: TEST_USER_DATA_KEY,
    ...opts.env,
  });
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger('worker', config.LOG_LEVEL, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  let builder = Test.createTestingModule({
    imports: [WorkerModule.forRoot(config, logger, opts.features ?? FIXTURE_FEATURES)],
    providers: opts.providers ?? [],
  });
  if (!opts.owners) for (const owner of OWNERS) builder = builder.overrideProvider(owner).useValue({});
  const module = await builder.compile();
  const get = <T>(type: abstract new (...args: never[]) => T): T => module.get<T>(type, { strict: false });
  const close = async () => {
    // Nothing of this file's queue outlives it.
    const redis = module.get<Redis>(REDIS);
    const keys = await redis.keys(`${config.QUEUE_PREFIX}:*`).catch(() => []);
    if (keys.length) await redis.del(...keys).catch(() => undefined);
    await module.close();
  };
  try {
    await module.init();
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  return { module, config, logs, get, close };
}

export interface AttemptOptions {
  /** Attempts BullMQ made before this one. */
  attemptsMade?: number;
  /** Attempts the job has in all (the lifecycle queue's 8 unless told). */
  attempts?: number;
}

export interface WorkerFixture extends WorkerApp {
  db: TestDatabase;
  sim: SimProcess;
  ds: DataSource;
  /** The pool registered from the environment, as the worker registers it at start. */
  poolId: string;
  seed: WorkerSeeds;
  /** The simulator through a JSON-RPC client of the test's own, for out-of-band changes and checks. */
  pool: XapiCall;
  /** One attempt of the operation's job through the real OperationRunner, as the queue's consumer delivers it. */
  attempt(operation: Pick<OperationEntity, 'id' | 'tenantId' | 'kind'>, opts?: AttemptOptions): Promise<void>;
  operation(operation: Pick<OperationEntity, 'id' | 'tenantId'>): Promise<OperationEntity>;
  vm(vm: Pick<VmEntity, 'id' | 'tenantId'>): Promise<VmEntity>;
  /** A VM the API accepted (for a new tenant unless given) and whose create ran to its end. */
  provisioned(tenantId?: string, spec?: VmSpec): Promise<VmEntity>;
  /** XAPI calls the simulator has served, per method as called (`Async.VM.clone`, `VM.get_record`, ...). */
  calls(): Promise<Record<string, number>>;
}

/** A database, a simulator and the worker's modules on them; `close()` stops all three. */
export async function startWorkerFixture(opts: WorkerBootOptions & { simEnv?: Record<string, string> } = {}): Promise<WorkerFixture> {
  const [db, sim] = await Promise.all([createTestDatabase(), startSimProcess({ SIM_HOSTS: '2', ...opts.simEnv })]);
  let app: WorkerApp;
  try {
    app = await bootWorker({
      ...opts,
      env: { DATABASE_URL: db.url, XAPI_URL: sim.url, XAPI_USERNAME: 'root', XAPI_PASSWORD: 'xenroot', ...opts.env },
    });
  } catch (err) {
    await sim.stop();
    await db.drop();
    throw err;
  }
  const ds = app.module.get<DataSource>(getDataSourceToken());
  const pool = await app.get(PoolRepository).upsertFromEnv(ds.manager, app.config.XAPI_URL, app.config.XAPI_USERNAME);
  const runner = app.get(OperationRunner);
  const { attempts: defaultAttempts } = jobOptions();
  const seed = new WorkerSeeds({ ds, poolId: pool.id, get: app.get });
  const attempt: WorkerFixture['attempt'] = (op, { attemptsMade = 0, attempts = defaultAttempts } = {}) =>
    runner.run({
      id: op.id,
      name: op.kind,
      data: { tenantId: op.tenantId, operationId: op.id },
      attemptsMade,
      opts: { attempts },
      queueName: QueueName.VmLifecycle,
    });
  const vm: WorkerFixture['vm'] = async (v) => (await app.get(VmRepository).find(v.tenantId, v.id))!;
  return {
    ...app,
    db,
    sim,
    ds,
    poolId: pool.id,
    seed,
    attempt,
    vm,
    pool: await xapi(sim),
    operation: async (op) => (await app.get(OperationRepository).find(op.tenantId, op.id))!,
    async provisioned(tenantId, spec) {
      const { operation } = await seed.vm(tenantId ?? (await seed.tenant()), spec);
      await attempt(operation);
      return vm({ tenantId: operation.tenantId, id: operation.resourceId });
    },
    calls: async () => (await simState(sim)).calls,
    async close() {
      await app.close();
      await sim.stop();
      await db.drop();
    },
  };
}
