import type { OperationEntity, VmEntity, VmRepository } from '@xenplane/core';
import type { JobFailure } from '../pipeline/job-failure.js';
import type { OperationContext, OperationHandler } from '../pipeline/operation-handler.js';
import type { VmOutcomeService } from './vm-outcome.service.js';

export type VmContext = OperationContext<VmEntity>;

/** What every VM job shares: the VM row it loads, and how success and failure are recorded (VmOutcomeService). */
export abstract class VmOperationHandler<O = void> implements OperationHandler<VmEntity, O> {
  constructor(
    protected readonly vms: VmRepository,
    protected readonly outcome: VmOutcomeService,
  ) {}

  load(operation: OperationEntity): Promise<VmEntity | null> {
    return this.vms.find(operation.tenantId, operation.resourceId);
  }

  poolId(vm: VmEntity): string {
    return vm.poolId;
  }

  abstract run(ctx: VmContext): Promise<O>;

  async succeed(ctx: VmContext, _result?: O): Promise<void> {
    // The run may have recorded the XAPI uuid; the outcome looks the VM up by it.
    ctx.resource = (await this.vms.find(ctx.resource.tenantId, ctx.resource.id)) ?? ctx.resource;
    await this.outcome.succeeded(ctx);
  }

  fail(ctx: VmContext, failure: JobFailure): Promise<void> {
    return this.outcome.failed(ctx, failure);
  }
}
