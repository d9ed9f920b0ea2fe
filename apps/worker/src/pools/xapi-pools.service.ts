import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { NotFoundError, PoolRepository, poolCredentials, SecretBox } from '@xenplane/core';
import { xapiCallDuration, xapiCallErrors } from '../worker.metrics.js';
import { XapiClient, XapiError, XapiPool } from '@xenplane/xapi-driver';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { PoolIdentityGuard } from './pool-identity.guard.js';

interface PoolConnection {
  client: XapiClient;
  pool: XapiPool;
}

/** One XAPI client per registered pool, created on first use and shared by every job. */
@Injectable()
export class XapiPoolsService implements OnApplicationShutdown {
  private readonly connections = new Map<string, PoolConnection>();
  private readonly box: SecretBox | undefined;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly pools: PoolRepository,
    private readonly identity: PoolIdentityGuard,
  ) {
    this.box = config.POOL_ENCRYPTION_KEY ? new SecretBox(config.POOL_ENCRYPTION_KEY) : undefined;
  }

  async forPool(poolId: string): Promise<XapiPool> {
    return (await this.connection(poolId)).pool;
  }

  /** The raw client, for event watching and sweeps. */
  async clientFor(poolId: string): Promise<XapiClient> {
    return (await this.connection(poolId)).client;
  }

  /** The pool's own XAPI uuid (there is exactly one pool object per pool). */
  async poolUuid(poolId: string): Promise<string> {
    const records = await (await this.connection(poolId)).client.call<Record<string, { uuid: string }>>('pool.get_all_records');
    const first = Object.values(records)[0];
    if (!first) throw new Error('the pool reports no pool object');
    return first.uuid;
  }

  /** Readiness: the default pool answers a login and a cheap call. */
  async pingDefault(): Promise<void> {
    const row = await this.pools.findDefault();
    if (!row) throw new Error('no pool registered');
    await (await this.forPool(row.id)).ping();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.connections.values()].map((c) => c.client.close().catch(() => undefined)));
    this.connections.clear();
  }

  private async connection(poolId: string): Promise<PoolConnection> {
    const cached = this.connections.get(poolId);
    if (cached) return cached;
    const row = await this.pools.find(poolId);
    if (!row) throw new NotFoundError('pool', poolId);
    const client = new XapiClient({
      ...poolCredentials(row, this.config, this.box, 'worker'),
      originator: 'xenplane-worker',
      callTimeoutMs: this.config.XAPI_CALL_TIMEOUT_MS,
      maxConcurrency: this.config.XAPI_MAX_CONCURRENCY,
      // Every session, first and re-login alike, must reach the pool registered here (a reset or re-pointed URL must not).
      afterLogin: (call) => this.identity.verify(poolId, call),
      observer: ({ method, durationMs, error }) => {
        xapiCallDuration.observe({ method, outcome: error ? 'error' : 'ok' }, durationMs / 1000);
        if (error) xapiCallErrors.inc({ method, code: error instanceof XapiError ? error.code : 'TRANSPORT' });
      },
    });
    const entry = { client, pool: new XapiPool(client) };
    this.connections.set(poolId, entry);
    return entry;
  }
}
