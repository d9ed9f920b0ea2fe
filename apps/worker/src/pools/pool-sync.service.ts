import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import {
  AdvisoryLocks,
  HostRepository,
  LOGGER,
  NotificationListener,
  PeriodicTask,
  PoolRepository,
  PoolTemplateRepository,
  type PoolEntity,
  caught,
} from '@xenplane/core';
import { XapiError, XapiTransportError } from '@xenplane/xapi-driver';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { hostOvsConfig } from './host-ovs-config.js';
import { PoolIdentityMismatchError } from './pool-identity.guard.js';
import { XapiPoolsService } from './xapi-pools.service.js';
import { StorageSweep } from './storage-sweep.js';

/**
 * Keeps each pool's connection state and host list as last seen through XAPI, and sweeps its storage (StorageSweep);
 * one worker per pool at a time (its lock
 * on the worker's lock session, so no pooled connection waits on a master's answer).
 */
@Injectable()
export class PoolSyncService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly task: PeriodicTask;
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly intervalMs: number;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly pools: PoolRepository,
    private readonly hosts: HostRepository,
    private readonly templates: PoolTemplateRepository,
    private readonly xapi: XapiPoolsService,
    private readonly locks: AdvisoryLocks,
    private readonly notifications: NotificationListener,
    private readonly storage: StorageSweep,
    @Inject(WORKER_CONFIG) config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.intervalMs = config.POOL_SYNC_INTERVAL_MS;
    this.task = new PeriodicTask(
      () => this.syncAll(),
      config.POOL_SYNC_INTERVAL_MS,
      (err) => this.logger.warn({ err: (err as Error).message }, 'pool sync round failed'),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    // A newly registered pool is looked at at once rather than at the next tick.
    this.unlisten = await this.notifications
      .listen('pools', () => void this.task.kick())
      .catch(caught(this.logger, 'pool sync: LISTEN pools (polling only)', undefined));
    this.task.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task.stop();
    await this.unlisten?.();
  }

  /** Starts a sync of every pool not still syncing; a hung master holds back neither the others nor the next round. */
  private async syncAll(): Promise<void> {
    const pools = await this.pools.all().catch(caught(this.logger, 'pool sync: list pools', [] as PoolEntity[]));
    const started = pools
      .filter((p) => !this.inFlight.has(p.id))
      .map((p) => {
        const run = this.locks
          .tryWith(`pool-sync:${p.id}`, () => this.sync(p))
          .catch(caught(this.logger, 'pool sync', false, { poolId: p.id }))
          .finally(() => this.inFlight.delete(p.id));
        this.inFlight.set(p.id, run);
        return run;
      });
    let timer: NodeJS.Timeout | undefined;
    const roundEnd = new Promise((r) => (timer = setTimeout(r, this.intervalMs)));
    await Promise.race([Promise.all(started), roundEnd]).finally(() => clearTimeout(timer));
  }

  private async sync(pool: PoolEntity): Promise<void> {
    try {
      const xapiPool = await this.xapi.forPool(pool.id);
      const hosts = await xapiPool.listHosts();
      const poolUuid = await this.xapi.poolUuid(pool.id);
      await this.ds.transaction((tx) =>
        this.hosts.replaceForPool(
          tx,
          pool.id,
          hosts.map((h) => ({
            xapiUuid: h.uuid,
            name: h.name,
            address: h.address,
            enabled: h.enabled,
            live: h.live,
            memoryTotalBytes: h.memoryTotal,
            memoryFreeBytes: h.memoryFree,
            cpuCount: h.cpuCount,
            ...hostOvsConfig(h.otherConfig, h.address),
          })),
        ),
      );
      // What each template's clones get as a boot disk: a VM asking for less is refused before it is accepted.
      const templates = await xapiPool.listTemplates();
      await this.ds.transaction((tx) => this.templates.replaceForPool(tx, pool.id, templates));
      // The scheduler's storage filter: a disk larger than what the default SR has left is refused before it is accepted.
      await this.pools.recordSrFree(this.ds.manager, pool.id, await xapiPool.defaultSrFreeBytes());
      await this.pools.markConnected(this.ds.manager, pool.id, poolUuid);
      // What crashed sagas left on its storage; a failure here says nothing of the pool's connection.
      await this.storage.sweep(pool.id, xapiPool).catch(caught(this.logger, 'pool sync: storage sweep', undefined, { poolId: pool.id }));
    } catch (err) {
      // Held: the guard has recorded and logged it; an error status would hide why nothing is reconciled.
      if (err instanceof PoolIdentityMismatchError) return;
      let message = err instanceof XapiError ? `${err.code} ${err.params.join(' ')}`.trim() : (err as Error).message;
      if (err instanceof XapiTransportError && err.kind === 'tls' && !pool.tlsCaPem && !pool.tlsFingerprint) {
        message += pool.fromEnv
          ? ' (trust its CA with NODE_EXTRA_CA_CERTS)'
          : ' (register the pool with caCertificate or tlsFingerprint to trust its certificate)';
      }
      this.logger.warn({ poolId: pool.id, err: message }, 'pool sync failed');
      await this.pools.markError(this.ds.manager, pool.id, message);
    }
  }
}
