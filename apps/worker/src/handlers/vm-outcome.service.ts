import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { JobName, OperationRepository, VmNicRepository, VmRepository, derivedUuid, type VmEntity, type VmStatus } from '@xenplane/core';
import { QuotaService, vmFootprint } from '@xenplane/tenancy';
import type { JobFailure } from './job-failure.js';
import { locateVm } from './vm-locator.js';
import type { VmJobContext } from './vm-job.context.js';

/** Records how a VM job ended: VM row and operation change together, from what XAPI shows. */
@Injectable()
export class VmOutcomeService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly vms: VmRepository,
    private readonly operations: OperationRepository,
    private readonly quota: QuotaService,
    private readonly nics: VmNicRepository,
  ) {}

  async succeeded(ctx: VmJobContext): Promise<void> {
    const { vm, operation } = ctx;
    const deleted = operation.kind === JobName.VmDelete;
    const patch: Partial<VmEntity> = deleted ? { status: 'deleted', powerState: null, hostUuid: null } : await this.observe(ctx);
    await this.ds.transaction(async (tx) => {
      await this.vms.update(vm.tenantId, vm.id, { ...patch, errorReason: null }, tx);
      if (deleted) await this.releaseQuota(tx, ctx);
      await this.operations.succeed(vm.tenantId, operation.id, tx);
    });
  }

  /** Terminal failure: a half-made VM is destroyed; otherwise the VM shows what XAPI says it is. */
  async failed(ctx: VmJobContext, failure: JobFailure): Promise<void> {
    const { vm, operation, xapi } = ctx;
    let patch: Partial<VmEntity>;
    let gone = false;
    if (operation.kind === JobName.VmCreate) {
      const partial = await locateVm(xapi, vm, operation.checkpoint.xapiUuid).catch(() => undefined);
      if (partial) await xapi.destroyVm(partial.ref);
      // Unknown when XAPI could not be asked: the VM keeps its quota until a delete confirms it is gone.
      gone = partial !== undefined;
      patch = { status: 'error', errorReason: failure.code, powerState: null, hostUuid: null };
    } else {
      patch = await this.observe(ctx).catch(() => ({ status: 'error' as VmStatus, errorReason: failure.code }));
    }
    const previous = operation.kind === JobName.VmResize ? (operation.checkpoint.previous as Pick<VmEntity, 'vcpus' | 'memoryMiB' | 'flavorId'> | undefined) : undefined;
    if (previous) patch = { ...patch, ...previous };
    await this.ds.transaction(async (tx) => {
      await this.vms.update(vm.tenantId, vm.id, patch, tx);
      if (gone) await this.releaseQuota(tx, ctx);
      // A failed resize gives back what it charged, keyed so that a retried failure does it once.
      if (previous) {
        const back = { vcpus: previous.vcpus - vm.vcpus, memoryMiB: previous.memoryMiB - vm.memoryMiB };
        await this.quota.charge(tx, vm.tenantId, back, { resourceId: vm.id, operationId: derivedUuid(operation.id, 'revert') });
      }
      await this.operations.fail(vm.tenantId, operation.id, failure.code, failure.detail, tx);
    });
  }

  /**
   * Gives back what the VM row holds, its addresses and MACs included; the ledger allows one release per VM, so a
   * failed create then a delete release once.
   */
  private async releaseQuota(tx: EntityManager, { vm, operation }: VmJobContext): Promise<void> {
    await this.quota.release(tx, vm.tenantId, vmFootprint(vm), { resourceId: vm.id, operationId: operation.id });
    await this.nics.releaseForVm(tx, vm.tenantId, vm.id);
  }

  /** Status, power state and host as XAPI reports them now. */
  private async observe({ vm, xapi }: VmJobContext): Promise<Partial<VmEntity>> {
    const found = await locateVm(xapi, vm);
    if (!found) return { status: 'error', errorReason: 'vanished', powerState: null, hostUuid: null };
    const record = await xapi.getVm(found.ref);
    const running = record.power_state === 'Running';
    // One getter, not the host and host_metrics tables of the whole pool, on every finished operation.
    const hostUuid = running ? await xapi.client.call<string>('host.get_uuid', record.resident_on) : null;
    return { status: running ? 'running' : 'stopped', powerState: record.power_state, hostUuid, xapiUuid: record.uuid };
  }
}
