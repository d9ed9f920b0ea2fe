import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { NotFoundError, PoolRepository, xapiCallDuration, xapiCallErrors } from '@xenplane/core';
import { XapiClient, XapiError, XapiPool } from '@xenplane/xapi-driver';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';

/** One XAPI client per registered pool, created on first use and shared by every job. */
@Injectable()
export class XapiPoolsService implements OnApplicationShutdown {
  private readonly clients = new Map<string, { client: XapiClient; pool: XapiPool }>();

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly pools: PoolRepository,
  ) {}

  async forPool(poolId: string): Promise<XapiPool> {
    const cached = this.clients.get(poolId);
    if (cached) return cached.pool;
    const row = await this.pools.find(poolId);
    if (!row) throw new NotFoundError('pool', poolId);
    // Pools registered through the API (encrypted credentials) arrive with issue 3; today only the env pool exists.
    if (!row.fromEnv) throw new Error(`pool ${poolId} has no usable credentials`);
    const client = new XapiClient({
      url: this.config.XAPI_URL,
      username: this.config.XAPI_USERNAME,
      password: this.config.XAPI_PASSWORD,
      originator: 'xenplane-worker',
      callTimeoutMs: this.config.XAPI_CALL_TIMEOUT_MS,
      maxConcurrency: this.config.XAPI_MAX_CONCURRENCY,
      observer: ({ method, durationMs, error }) => {
        xapiCallDuration.observe({ method, outcome: error ? 'error' : 'ok' }, durationMs / 1000);
        if (error) xapiCallErrors.inc({ method, code: error instanceof XapiError ? error.code : 'TRANSPORT' });
      },
    });
    const entry = { client, pool: new XapiPool(client) };
    this.clients.set(poolId, entry);
    return entry.pool;
  }

  /** Readiness: the default pool answers a login and a cheap call. */
  async pingDefault(): Promise<void> {
    const row = await this.pools.findDefault();
    if (!row) throw new Error('no pool registered');
    await (await this.forPool(row.id)).ping();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.client.close().catch(() => undefined)));
    this.clients.clear();
  }
}
