import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { AdvisoryLocks, DataplaneRepository, LOGGER, NotificationListener, type LockLease, type OvsHostRow, caught } from '@xenplane/core';
import { dataplaneOwners } from '../worker.metrics.js';
import { HostReconciler } from '@xenplane/network';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';

interface Owned {
  row: OvsHostRow;
  reconciler: HostReconciler;
  lease: LockLease;
}

const sameEndpoints = (a: OvsHostRow, b: OvsHostRow) =>
  a.ovsdb === b.ovsdb && a.openflow === b.openflow && a.bridge === b.bridge && a.tunnelIp === b.tunnelIp;

/**
 * One OVS reconciler per host across all workers: a worker runs the hosts whose advisory lock it holds on its lock
 * session (shared with the pool watchers). If that worker dies its session (and locks) go, and another worker claims
 * the hosts at its next round; if the session breaks here, the hosts it held are released.
 */
@Injectable()
export class DataplaneService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly owned = new Map<string, Owned>();
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private claiming: Promise<void> | undefined;
  private stopping = false;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: DataplaneRepository,
    private readonly locks: AdvisoryLocks,
    private readonly notifications: NotificationListener,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // A NIC, binding, network or host change names its pool: every reconciler of that pool re-derives its flows.
    this.unlisten = await this.notifications
      .listen('dataplane', (poolId) => this.poke(poolId))
      .catch(caught(this.logger, 'data plane: LISTEN dataplane (sweeps only)', undefined));
    this.timer = setInterval(() => void this.claimRound(), this.config.RECONCILE_CLAIM_INTERVAL_MS);
    void this.claimRound();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.claiming;
    await this.unlisten?.();
    await this.releaseAll();
  }

  /** Reconcilers this worker runs, by host id (tests and diagnostics). */
  reconcilers(): Map<string, HostReconciler> {
    return new Map([...this.owned].map(([id, o]) => [id, o.reconciler]));
  }

  private ssl() {
    const { OVS_SSL_KEY: privateKey, OVS_SSL_CERT: certificate, OVS_SSL_CA: caCert } = this.config;
    return privateKey && certificate && caCert ? { privateKey, certificate, caCert } : undefined;
  }

  private poke(poolId: string): void {
    for (const o of this.owned.values()) if (o.row.poolId === poolId) o.reconciler.trigger('db');
  }

  private claimRound(): Promise<void> {
    this.claiming ??= this.claim()
      .catch((err: unknown) => this.logger.warn({ err: (err as Error).message }, 'data plane claim round failed'))
      .finally(() => (this.claiming = undefined));
    return this.claiming;
  }

  private async claim(): Promise<void> {
    if (this.stopping) return;
    const hosts = await this.repo.ovsHosts();
    const byId = new Map(hosts.map((h) => [h.id, h]));
    for (const [id, o] of this.owned) {
      const now = byId.get(id);
      if (!now || !sameEndpoints(now, o.row)) await this.release(id); // gone or moved: restart with the new endpoints
    }
    for (const host of hosts) {
      if (this.stopping || this.owned.has(host.id)) continue;
      const lease = await this.locks.tryHold(`ovs-host:${host.id}`);
      if (!lease) continue;
      lease.lost.addEventListener('abort', () => {
        if (!this.stopping) this.logger.warn({ hostId: host.id }, 'data plane lock session lost; releasing host');
        void this.release(host.id);
      });
      const reconciler = new HostReconciler({
        host,
        // One snapshot of the pool, so flows never mix NICs and bindings from different moments.
        loadView: () => this.ds.transaction('REPEATABLE READ', (tx) => this.repo.poolView(tx, host.poolId)),
        publishBindings: (hostId, bindings) => this.ds.transaction((tx) => this.repo.replaceBindings(tx, hostId, bindings)),
        log: { info: (o, m) => this.logger.info(o, m), warn: (o, m) => this.logger.warn(o, m) },
        canaryIntervalMs: this.config.OVS_CANARY_INTERVAL_MS,
        sweepIntervalMs: this.config.OVS_SWEEP_MS,
        ssl: this.ssl(),
      });
      this.owned.set(host.id, { row: host, reconciler, lease });
      dataplaneOwners.set(this.owned.size);
      void reconciler
        .start()
        .catch((err: unknown) => this.logger.warn({ hostId: host.id, err: (err as Error).message }, 'host reconciler failed to start'));
    }
  }

  private async release(hostId: string): Promise<void> {
    const o = this.owned.get(hostId);
    if (!o) return;
    this.owned.delete(hostId);
    dataplaneOwners.set(this.owned.size);
    await o.reconciler.stop();
    await o.lease.release();
  }

  private async releaseAll(): Promise<void> {
    await Promise.all([...this.owned.keys()].map((id) => this.release(id)));
  }
}
