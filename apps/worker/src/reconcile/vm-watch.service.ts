import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { AdvisoryLocks, LOGGER, PoolRepository, VmNicRepository, VmRepository, caught } from '@xenplane/core';
import { reconcileDrift, vmWatchers, vmWatchersSynced } from '../worker.metrics.js';
import { ResourceLifecycle } from '@xenplane/tenancy';
import type { XapiWatchEvent } from '@xenplane/xapi-driver';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { XapiPoolsService } from '../pools/xapi-pools.service.js';
import { VmReconciler } from './vm-reconciler.js';
import { GuestIpsTracker } from './guest-ips.tracker.js';

/**
 * One XAPI event watcher per pool across all workers: whoever holds the pool's advisory lock watches; if that
 * worker dies its lock session (and every lock on it) goes, and another worker takes over at its next claim round.
 */
@Injectable()
export class VmWatchService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly watching = new Set<string>();
  private readonly abort = new AbortController();
  private readonly running = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private claiming: Promise<void> | undefined;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly pools: PoolRepository,
    private readonly vms: VmRepository,
    private readonly nics: VmNicRepository,
    private readonly xapi: XapiPoolsService,
    private readonly lifecycle: ResourceLifecycle,
    private readonly locks: AdvisoryLocks,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.claimRound(), this.config.RECONCILE_CLAIM_INTERVAL_MS);
    void this.claimRound();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.abort.abort();
    await this.claiming;
    await Promise.allSettled([...this.running]);
  }

  private claimRound(): Promise<void> {
    this.claiming ??= this.claim().finally(() => (this.claiming = undefined));
    return this.claiming;
  }

  private async claim(): Promise<void> {
    if (this.abort.signal.aborted) return;
    const pools = await this.pools.all().catch(caught(this.logger, 'vm watch: list pools', []));
    for (const pool of pools) {
      if (this.abort.signal.aborted || this.watching.has(pool.id)) continue;
      // A held pool is not judged: its VMs would all look vanished (the guard ends a watch when a mismatch appears).
      if (pool.status === 'identity_mismatch') continue;
      // The lock lives on the worker's one lock session: watching a pool costs no database connection.
      const lease = await this.locks.tryHold(`vm-watch:${pool.id}`).catch(caught(this.logger, 'vm watch: claim', null, { poolId: pool.id }));
      if (!lease) continue;
      this.watching.add(pool.id);
      const run = this.watch(pool.id, AbortSignal.any([this.abort.signal, lease.lost]))
        .catch((err: unknown) => this.logger.warn({ poolId: pool.id, err: (err as Error).message }, 'vm watcher stopped'))
        .finally(() => {
          this.watching.delete(pool.id);
          this.running.delete(run);
          void lease.release();
        });
      this.running.add(run);
    }
  }

  /** Runs until shutdown or the lock is lost: the driver's event loop plus a periodic full sweep. */
  private async watch(poolId: string, signal: AbortSignal): Promise<void> {
    vmWatchers.inc();
    const started = performance.now();
    this.logger.info({ poolId }, 'watching pool VMs');
    const client = await this.xapi.clientFor(poolId);
    const xapiPool = await this.xapi.forPool(poolId);
    const stillExists = async (uuid: string) => (await xapiPool.getVmByUuid(uuid)) !== null;
    const powerStateNow = (ref: string) => client.call<string>('VM.get_power_state', ref);
    const reconciler = new VmReconciler(
      poolId,
      this.vms,
      this.ds.manager,
      (t, v) => this.vanished(poolId, t, v),
      stillExists,
      powerStateNow,
      this.logger,
      new GuestIpsTracker(this.nics, this.ds.manager, this.vms),
    );
    const sweep = setInterval(() => {
      client
        .call<Record<string, Record<string, unknown>>>('VM.get_all_records')
        .then((records) => reconciler.sync(records))
        .catch((err: unknown) => this.logger.warn({ poolId, err: (err as Error).message }, 'reconcile sweep failed'));
    }, this.config.RECONCILE_SWEEP_MS);
    const classes = ['host', 'vm', 'vm_guest_metrics'];
    let snapshots = 0; // the pool is in sync once every class's first snapshot is folded (a restart's are not counted)
    const onEvent = async (e: XapiWatchEvent) => {
      await reconciler.handle(e);
      if (e.kind !== 'sync' || ++snapshots !== classes.length) return;
      vmWatchersSynced.inc();
      this.logger.info({ poolId, ms: Math.round(performance.now() - started) }, 'pool VMs synchronised');
    };
    try {
      await client.watchEvents(classes, onEvent, signal, {
        onError: (err) => this.logger.warn({ poolId, err: (err as Error).message }, 'event watch restarting'),
      });
    } finally {
      clearInterval(sweep);
      vmWatchers.dec();
      if (snapshots >= classes.length) vmWatchersSynced.dec();
    }
  }

  /** A settled VM XAPI no longer has: released as a failing operation would release it (ResourceLifecycle). */
  private async vanished(poolId: string, tenantId: string, vmId: string): Promise<void> {
    await this.ds.transaction(async (tx) => {
      const patch = { status: 'error', errorReason: 'vanished', powerState: null, hostUuid: null };
      // The VM id keys the release: the ledger allows one per VM, whichever path comes first.
      const before = await this.lifecycle.apply(tx, { kind: 'vm', tenantId, id: vmId }, 'gone', { patch, operationId: vmId, settledOnly: true });
      if (!before || before === 'released') return;
      reconcileDrift.inc({ pool: poolId, kind: 'vanished' });
      this.logger.warn({ vmId, tenantId }, 'vm vanished from XAPI; quota and addresses released');
    });
  }
}
