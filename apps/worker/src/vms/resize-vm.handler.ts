import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { JobName, LOGGER, VmRepository, caught, type VmEntity } from '@xenplane/core';
import { SagaError, type JobFailure } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { locateVm } from './vm-locator.js';
import { VmOperationHandler, type VmContext } from './vm-operation.handler.js';
import { VmOutcomeService } from './vm-outcome.service.js';

const MIB = 1024 * 1024;

type Sizes = Pick<VmEntity, 'vcpus' | 'memoryMiB' | 'diskGiB' | 'liveMaxVcpus' | 'liveMaxMemoryMiB'>;

/** vm.resize: applies the sizes the row now holds (halted: all limits and the disk; running: live, within its maximums). */
@Injectable()
@HandlesJobs(JobName.VmResize)
export class ResizeVmHandler extends VmOperationHandler {
  constructor(
    vms: VmRepository,
    outcome: VmOutcomeService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super(vms, outcome);
  }

  async run({ resource: vm, xapi }: VmContext): Promise<void> {
    const pool = await xapi();
    const found = await locateVm(pool, vm);
    if (!found) throw new SagaError('vanished', 'the VM no longer exists on the pool');
    await pool.resizeVm(found.ref, spec(vm));
  }

  /** The row goes back to its previous sizes: so does the pool, as far as it can (a disk already grown stays grown). */
  override async fail(ctx: VmContext, failure: JobFailure): Promise<void> {
    const previous = ctx.operation.checkpoint.previous as (Pick<Sizes, 'vcpus' | 'memoryMiB'> & Partial<Sizes>) | undefined;
    if (previous) {
      const restore = async () => {
        const pool = await ctx.xapi();
        const found = await locateVm(pool, ctx.resource);
        if (found) await pool.resizeVm(found.ref, spec({ ...ctx.resource, ...previous, diskGiB: 0 }));
      };
      await restore().catch(caught(this.logger, 'failed resize: put the previous sizes back', undefined, { vmId: ctx.resource.id }));
    }
    return super.fail(ctx, failure);
  }
}

function spec(vm: Sizes) {
  return {
    vcpus: vm.vcpus,
    memoryBytes: vm.memoryMiB * MIB,
    liveMax: { vcpus: vm.liveMaxVcpus ?? vm.vcpus, memoryBytes: (vm.liveMaxMemoryMiB ?? vm.memoryMiB) * MIB },
    ...(vm.diskGiB ? { rootDiskBytes: vm.diskGiB * 1024 * MIB } : {}),
  };
}
