import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import {
  AdvisoryLocks,
  HostRepository,
  JobName,
  LOGGER,
  OperationInProgressError,
  OperationLauncher,
  OperationRepository,
  PoolRepository,
  VmRepository,
  caught,
  type HostEntity,
  type PoolEntity,
  type VmEntity,
} from '@xenplane/core';
import type { XapiPool } from '@xenplane/xapi-driver';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { LockedPass } from '../locks/locked-pass.js';
import { XapiPoolsService } from '../pools/xapi-pools.service.js';
import { VM_ID_KEY } from '../vms/vm-markers.js';

/**
 * Restart after host failure, one pass at a time across workers. A host is declared dead only when the pool agrees:
 * its master answers now and shows the host's metrics not live, and has for the pool's grace period. Each VM of ours
 * the dead host's records still show running gets one operation of its tenant: vm.restart-after-failure (restart:
 * true) or vm.stop-after-failure. Their handler resets the VM's power state first, which the pool refuses while the
 * host is alive: that is the fence. A reset VM is no longer resident there, so no later pass sees it again; one whose
 * operation failed since the declaration is left alone (never retried in a loop).
 */
@Injectable()
export class HostFailureService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pass: LockedPass;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly pools: PoolRepository,
    private readonly hosts: HostRepository,
    private readonly vms: VmRepository,
    private readonly operations: OperationRepository,
    private readonly launcher: OperationLauncher,
    private readonly xapi: XapiPoolsService,
    locks: AdvisoryLocks,
    @Inject(WORKER_CONFIG) config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.pass = new LockedPass(
      locks,
      'host-failure',
      () => this.runOnce(),
      config.HOST_FAILURE_INTERVAL_MS,
      caught(logger, 'host-failure', undefined),
    );
  }

  onApplicationBootstrap(): void {
    this.pass.start(false);
  }

  onApplicationShutdown(): Promise<void> {
    return this.pass.stop();
  }

  /** A pass now, or right after the one running here; resolves when it ends. */
  kick(): Promise<void> {
    return this.pass.kick();
  }

  private async runOnce(): Promise<void> {
    for (const pool of await this.pools.all()) {
      if (pool.status !== 'connected') continue;
      await this.step(pool).catch(caught(this.logger, 'host-failure: pool', undefined, { poolId: pool.id }));
    }
  }

  private async step(pool: PoolEntity): Promise<void> {
    // A master that does not answer says nothing of its hosts: no observation, no declaration.
    const xapi = await this.xapi.forPool(pool.id);
    const observed = await xapi.listHosts();
    const dead = await this.ds.transaction((tx) =>
      this.hosts.observeLiveness(
        tx,
        pool.id,
        observed.map((h) => ({ xapiUuid: h.uuid, live: h.live })),
      ),
    );
    for (const host of dead) {
      const ref = observed.find((h) => h.uuid === host.xapiUuid)?.ref;
      if (ref) await this.recover(xapi, host, ref);
    }
  }

  private async recover(xapi: XapiPool, host: HostEntity, hostRef: string): Promise<void> {
    const guests = (await xapi.residentGuests(hostRef)).filter((g) => g.record.power_state === 'Running' || g.record.power_state === 'Paused');
    const ids = guests.flatMap((g) => (g.record.other_config[VM_ID_KEY] ? [g.record.other_config[VM_ID_KEY]] : []));
    const ours = (await this.vms.findAcrossTenants(ids)).filter((v) => v.status !== 'deleted' && v.status !== 'deleting');
    if (!ours.length) return;
    const kinds = [JobName.VmRestartAfterFailure, JobName.VmStopAfterFailure];
    const since = host.failedAt ?? new Date(0);
    const failed = new Set<string>();
    for (const kind of kinds)
      for (const id of (
        await this.operations.failedSince(
          kind,
          ours.map((v) => v.id),
          since,
        )
      ).keys())
        failed.add(id);
    const active = await this.operations.activeAmong(ours.map((v) => v.id));
    for (const vm of ours) {
      if (failed.has(vm.id) || active.has(vm.id)) continue;
      await this.launch(vm, host).catch((err: unknown) => {
        // Another operation took the VM first: it is looked at again next pass.
        if (!(err instanceof OperationInProgressError)) throw err;
      });
    }
  }

  private launch(vm: VmEntity, host: HostEntity): Promise<void> {
    const kind = vm.restart ? JobName.VmRestartAfterFailure : JobName.VmStopAfterFailure;
    return this.ds.transaction(async (tx) => {
      const operation = await this.launcher.launch(tx, vm.tenantId, kind, { type: 'vm', id: vm.id }, { requestId: null });
      await this.operations.checkpoint(tx, vm.tenantId, operation.id, 'declared', { failedHostId: host.id, failedHostUuid: host.xapiUuid });
      this.logger.info({ vmId: vm.id, hostId: host.id, kind }, 'host failed: recovering its VM');
    });
  }
}
