import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import {
  JobName,
  OperationRepository,
  SnapshotRepository,
  VmRepository,
  VolumeRepository,
  derivedUuid,
  LOGGER,
  type VmEntity,
  caught,
} from '@xenplane/core';
import { QuotaService, ResourceLifecycle } from '@xenplane/tenancy';
import type { JobFailure } from '../pipeline/job-failure.js';
import { ConfigDriveService } from './config-drive.service.js';
import { locateVm } from './vm-locator.js';
import type { VmContext } from './vm-operation.handler.js';

/** What a job records beside the VM's outcome, in the same transaction (a revert's snapshot, a NIC's status or release). */
export interface OutcomeOptions {
  alongside?: (tx: EntityManager) => Promise<void>;
  /** What the job itself saw XAPI make of the VM (a create that started it), so nothing is read again. */
  observed?: VmObserved;
  /** The operation's last step, recorded with its success (one change, one event) instead of a checkpoint before it. */
  step?: string;
  /** A failed resize or revert keeps the new sizes: the pool has them already. */
  keepSizes?: boolean;
}

export type VmObserved = Observed;
type Observed = Pick<VmEntity, 'status'> & Partial<Pick<VmEntity, 'errorReason' | 'powerState' | 'hostUuid' | 'xapiUuid'>>;

/** The observation when it names every field the VM row shows of XAPI (a create that started the VM: all four). */
function whole(o: Observed): Pick<VmEntity, 'status' | 'powerState' | 'hostUuid' | 'xapiUuid'> | null {
  const { status, powerState, hostUuid, xapiUuid } = o;
  return powerState === undefined || hostUuid === undefined || xapiUuid === undefined ? null : { status, powerState, hostUuid, xapiUuid };
}

/** Records how a VM job ended: VM row and operation change together, from what XAPI shows. */
@Injectable()
export class VmOutcomeService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly vms: VmRepository,
    private readonly operations: OperationRepository,
    private readonly quota: QuotaService,
    private readonly lifecycle: ResourceLifecycle,
    private readonly volumes: VolumeRepository,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly drives: ConfigDriveService,
    private readonly snapshots: SnapshotRepository,
  ) {}

  async succeeded(ctx: VmContext, opts: OutcomeOptions = {}): Promise<void> {
    const { resource: vm, operation } = ctx;
    const deleted = operation.kind === JobName.VmDelete;
    const observed = deleted ? null : (opts.observed ?? (await this.observe(ctx)));
    const shown = observed && whole(observed);
    // The common end (a VM seen whole, nothing alongside): one statement, no transaction around it.
    if (shown && !opts.alongside && observed.errorReason !== 'vanished')
      return this.vms.succeedWith(this.ds.manager, vm.tenantId, vm.id, shown, { id: operation.id, step: opts.step });
    await this.ds.transaction(async (tx) => {
      const target = { kind: 'vm' as const, tenantId: vm.tenantId, id: vm.id };
      if (deleted) {
        await this.lifecycle.apply(tx, target, 'gone', {
          patch: { status: 'deleted', powerState: null, hostUuid: null, errorReason: null },
          operationId: operation.id,
        });
        await this.volumes.detachAllFromVm(tx, vm.tenantId, vm.id);
        // VM.destroy took its snapshots with it (the driver destroys them first).
        for (const snap of await this.snapshots.listHeld(vm.tenantId, { vmId: vm.id }, tx)) {
          const snapshot = { kind: 'snapshot' as const, tenantId: vm.tenantId, id: snap.id };
          await this.lifecycle.apply(tx, snapshot, 'gone', { patch: { status: 'deleted' }, operationId: operation.id });
        }
      } else if (observed!.errorReason === 'vanished') {
        await this.lifecycle.apply(tx, target, 'gone', { patch: { ...observed }, operationId: operation.id });
      } else {
        await this.vms.update(tx, vm.tenantId, vm.id, { ...observed, errorReason: null });
      }
      await opts.alongside?.(tx);
      await this.operations.succeed(tx, vm.tenantId, operation.id, opts.step);
    });
  }

  /** Terminal failure: a half-made VM is destroyed; otherwise the VM shows what XAPI says it is. */
  async failed(ctx: VmContext, failure: JobFailure, opts: OutcomeOptions = {}): Promise<void> {
    const { resource: vm, operation } = ctx;
    const target = { kind: 'vm' as const, tenantId: vm.tenantId, id: vm.id };
    let observed: Observed;
    // What the pool now holds of the VM: gone (released), unknown (kept until a delete settles it), or there.
    let presence: 'gone' | 'unconfirmed' | null = null;
    if (operation.kind === JobName.VmCreate) {
      // Unreachable pool, or a look-up still failing on the last attempt: unknown, so the VM is kept (unconfirmed) until
      // a delete settles it. Before that a failed look-up throws, as a failed destroy does: the job retries.
      const unknown = caught(this.logger, 'failed create: look for the partial VM', undefined, { vmId: vm.id });
      const xapi = await ctx.xapi().catch(unknown);
      const lookUpFailed = (e: unknown) => {
        if (!ctx.lastAttempt) throw e;
        return unknown(e);
      };
      const partial = xapi ? await locateVm(xapi, vm, operation.checkpoint.xapiUuid).catch(lookUpFailed) : undefined;
      // A destroy that fails throws: the job retries its failure, so the partial VM is not left behind.
      if (partial) await xapi!.destroyVm(partial.ref);
      // and a config drive a crash left before it was attached (an attached one went with the VM)
      if (xapi && partial !== undefined) await this.drives.destroyAll(xapi, vm.id);
      presence = partial === undefined ? 'unconfirmed' : 'gone';
      observed = { status: 'error', errorReason: failure.code, powerState: null, hostUuid: null };
    } else {
      observed = await this.observe(ctx).catch(
        caught(this.logger, 'failed operation: observe the VM', { status: 'error', errorReason: failure.code }, { vmId: vm.id }),
      );
      if (observed.errorReason === 'vanished') presence = 'gone';
    }
    const resized = operation.kind === JobName.VmResize || operation.kind === JobName.SnapshotRevert;
    const previous =
      resized && !opts.keepSizes
        ? (operation.checkpoint.previous as
            | (Pick<VmEntity, 'vcpus' | 'memoryMiB' | 'flavorId'> & Partial<Pick<VmEntity, 'diskGiB' | 'liveMaxVcpus' | 'liveMaxMemoryMiB'>>)
            | undefined)
        : undefined;
    await this.ds.transaction(async (tx) => {
      if (previous) await this.vms.update(tx, vm.tenantId, vm.id, previous);
      if (presence) await this.lifecycle.apply(tx, target, presence, { patch: observed, operationId: operation.id });
      else await this.vms.update(tx, vm.tenantId, vm.id, observed);
      // A failed resize gives back what it charged, keyed so that a retried failure does it once.
      if (previous) {
        const back = {
          vcpus: previous.vcpus - vm.vcpus,
          memoryMiB: previous.memoryMiB - vm.memoryMiB,
          diskGiB: (previous.diskGiB ?? vm.diskGiB) - vm.diskGiB,
        };
        await this.quota.charge(tx, vm.tenantId, back, { resourceId: vm.id, operationId: derivedUuid(operation.id, 'revert') });
      }
      await opts.alongside?.(tx);
      await this.operations.fail(tx, vm.tenantId, operation.id, failure.code, failure.detail);
    });
  }

  /** Status, power state and host as XAPI reports them now. */
  private async observe({ resource: vm, xapi: connect }: VmContext): Promise<Observed> {
    const xapi = await connect();
    const found = await locateVm(xapi, vm);
    if (!found) return { status: 'error', errorReason: 'vanished', powerState: null, hostUuid: null };
    const record = await xapi.getVm(found.ref);
    const running = record.power_state === 'Running';
    // One getter, not the host and host_metrics tables of the whole pool, on every finished operation.
    const hostUuid = running ? await xapi.client.call<string>('host.get_uuid', record.resident_on) : null;
    return { status: running ? 'running' : 'stopped', powerState: record.power_state, hostUuid, xapiUuid: record.uuid };
  }
}
