import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import {
  AdvisoryLocks,
  HostRepository,
  JobName,
  LOGGER,
  NoCapacityError,
  OperationLauncher,
  OperationInProgressError,
  OperationRepository,
  VmRepository,
  caught,
  type HostEntity,
  type MaintenanceBlocker,
} from '@xenplane/core';
import { WORKER_CONFIG, type WorkerConfig } from '../config/worker-env.js';
import { LockedPass } from '../locks/locked-pass.js';
import { XapiPoolsService } from '../pools/xapi-pools.service.js';
import { VM_ID_KEY } from '../vms/vm-markers.js';
import { MigrationTargets } from '../vms/migration-targets.service.js';

interface Resident {
  ref: string;
  uuid: string;
  vmId: string | null;
}

/**
 * Host maintenance, one pass at a time across workers: a draining host is disabled on XAPI, then its running VMs
 * leave in batches, each as a vm.migrate operation of its tenant to a host the scheduler picks (so spread and
 * anti-affinity hold, unlike host.evacuate). What cannot leave is listed (XAPI's reasons, VMs not ours, moves that
 * failed since the maintenance began: never retried in a loop) and the host stays draining; empty, it is in
 * maintenance. Every pass starts from XAPI and Postgres afresh, so a worker killed mid-way is simply resumed.
 */
@Injectable()
export class HostEvacuationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly pass: LockedPass;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly hosts: HostRepository,
    private readonly vms: VmRepository,
    private readonly operations: OperationRepository,
    private readonly launcher: OperationLauncher,
    private readonly targets: MigrationTargets,
    private readonly xapi: XapiPoolsService,
    locks: AdvisoryLocks,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.pass = new LockedPass(
      locks,
      'host-evacuation',
      () => this.runOnce(),
      this.config.EVACUATION_INTERVAL_MS,
      caught(logger, 'host-evacuation', undefined),
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
    for (const host of await this.hosts.listMaintenanceWork()) {
      await this.step(host).catch(caught(this.logger, 'host-evacuation: host', undefined, { hostId: host.id }));
    }
  }

  private async step(host: HostEntity): Promise<void> {
    const xapi = await this.xapi.forPool(host.poolId);
    const hostRef = await xapi.client.call<string>('host.get_by_uuid', host.xapiUuid);
    if (host.maintenance === 'none') {
      // Cancelled or ended: the host takes VMs again.
      await xapi.enableHost(hostRef);
      await this.hosts.markMaintenanceDisabled(this.ds.manager, host.id, false);
      return;
    }
    if (!host.maintenanceDisabled) {
      await xapi.disableHost(hostRef);
      await this.hosts.markMaintenanceDisabled(this.ds.manager, host.id, true);
    }
    const residents = await this.residents(xapi.client, hostRef);
    const ours = await this.vms.findAcrossTenants(residents.flatMap((r) => (r.vmId ? [r.vmId] : [])));
    const byId = new Map(ours.map((v) => [v.id, v]));
    const blockers: MaintenanceBlocker[] = [];
    for (const r of residents) if (!r.vmId || !byId.has(r.vmId)) blockers.push({ vmId: null, xapiVmUuid: r.uuid, code: 'not_managed', params: [] });
    const prevented = await xapi.vmsPreventingEvacuation(hostRef);
    const failed = await this.operations.failedSince(JobName.VmMigrate, [...byId.keys()], host.maintenanceSince ?? new Date(0));
    const active = await this.operations.activeAmong([...byId.keys()]);
    let inFlight = 0;
    const movable = [];
    for (const r of residents) {
      const vm = r.vmId ? byId.get(r.vmId) : undefined;
      if (!vm) continue;
      const reason = prevented[r.ref];
      if (reason) blockers.push({ vmId: vm.id, xapiVmUuid: r.uuid, code: reason.code, params: reason.params });
      else if (failed.has(vm.id) && !active.has(vm.id)) blockers.push({ vmId: vm.id, xapiVmUuid: r.uuid, code: failed.get(vm.id)!, params: [] });
      else if (active.has(vm.id)) inFlight++;
      else movable.push({ vm, uuid: r.uuid, ref: r.ref });
    }
    for (const { vm, uuid, ref } of movable) {
      if (inFlight >= this.config.EVACUATION_BATCH_SIZE) break;
      // The residents were read before `active`: a move that ended in between left the host already, so ask again.
      if ((await xapi.client.call<string>('VM.get_resident_on', ref)) !== hostRef) continue;
      const launched = await this.launchMove(vm, host).catch((err: unknown) => {
        if (err instanceof NoCapacityError) {
          blockers.push({ vmId: vm.id, xapiVmUuid: uuid, code: 'no_capacity', params: [String(err.extra.filter)] });
          return false;
        }
        // Another operation took the VM first (a tenant's stop): it is looked at again next pass.
        if (err instanceof OperationInProgressError) return false;
        throw err;
      });
      if (launched) inFlight++;
    }
    const empty = residents.length === 0;
    await this.hosts.recordDrain(this.ds.manager, host.id, { maintenance: empty ? 'maintenance' : 'draining', blockers });
  }

  /** One VM's move as its tenant's operation, the target chosen and claimed in the same transaction. */
  private launchMove(vm: Parameters<MigrationTargets['claim']>[1], host: HostEntity): Promise<boolean> {
    return this.ds.transaction(async (tx) => {
      const operation = await this.launcher.launch(tx, vm.tenantId, JobName.VmMigrate, { type: 'vm', id: vm.id }, { requestId: null });
      await this.targets.claim(tx, vm, operation.id, host.id);
      return true;
    });
  }

  /** The host's running guests (not dom0), each with our VM id when it is ours. */
  private async residents(client: { call<T>(method: string, ...params: unknown[]): Promise<T> }, hostRef: string): Promise<Resident[]> {
    const out: Resident[] = [];
    for (const ref of await client.call<string[]>('host.get_resident_VMs', hostRef)) {
      const vm = await client.call<{ uuid: string; is_control_domain: boolean; power_state: string; other_config: Record<string, string> }>(
        'VM.get_record',
        ref,
      );
      if (vm.is_control_domain || vm.power_state !== 'Running') continue;
      out.push({ ref, uuid: vm.uuid, vmId: vm.other_config[VM_ID_KEY] ?? null });
    }
    return out;
  }
}
