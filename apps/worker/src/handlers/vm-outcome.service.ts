import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { JobName, OperationRepository, VmRepository, type VmEntity, type VmStatus } from '@xenplane/core';
import type { JobFailure } from './job-failure.js';
import { VM_ID_KEY, type VmJobContext } from './vm-job.context.js';

/** Records how a VM job ended: VM row and operation change together, from what XAPI shows. */
@Injectable()
export class VmOutcomeService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly vms: VmRepository,
    private readonly operations: OperationRepository,
  ) {}

  async succeeded(ctx: VmJobContext): Promise<void> {
    const { vm, operation } = ctx;
    const patch: Partial<VmEntity> = ctx.operation.kind === JobName.VmDelete ? { status: 'deleted', powerState: null, hostUuid: null } : await this.observe(ctx);
    await this.ds.transaction(async (tx) => {
      await this.vms.update(vm.tenantId, vm.id, { ...patch, errorReason: null }, tx);
      await this.operations.succeed(vm.tenantId, operation.id, tx);
    });
  }

  /** Terminal failure: a half-made VM is destroyed; otherwise the VM shows what XAPI says it is. */
  async failed(ctx: VmJobContext, failure: JobFailure): Promise<void> {
    const { vm, operation, xapi } = ctx;
    let patch: Partial<VmEntity>;
    if (operation.kind === JobName.VmCreate) {
      const partial = await xapi.findVmByOtherConfig(VM_ID_KEY, vm.id).catch(() => null);
      if (partial) await xapi.destroyVm(partial.ref);
      patch = { status: 'error', errorReason: failure.code, powerState: null, hostUuid: null };
    } else {
      patch = await this.observe(ctx).catch(() => ({ status: 'error' as VmStatus, errorReason: failure.code }));
    }
    await this.ds.transaction(async (tx) => {
      await this.vms.update(vm.tenantId, vm.id, patch, tx);
      await this.operations.fail(vm.tenantId, operation.id, failure.code, failure.detail, tx);
    });
  }

  /** Status, power state and host as XAPI reports them now. */
  private async observe({ vm, xapi }: VmJobContext): Promise<Partial<VmEntity>> {
    const found = vm.xapiUuid ? await xapi.getVmByUuid(vm.xapiUuid) : await xapi.findVmByOtherConfig(VM_ID_KEY, vm.id);
    if (!found) return { status: 'error', errorReason: 'vanished', powerState: null, hostUuid: null };
    const record = await xapi.getVm(found.ref);
    const running = record.power_state === 'Running';
    const host = running ? (await xapi.listHosts()).find((h) => h.ref === record.resident_on) : undefined;
    return { status: running ? 'running' : 'stopped', powerState: record.power_state, hostUuid: host?.uuid ?? null, xapiUuid: record.uuid };
  }
}
