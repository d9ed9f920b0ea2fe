import { Injectable } from '@nestjs/common';
import { ImageRepository, OperationRepository, VmRepository } from '@xenplane/core';
import { SagaError } from './job-failure.js';
import { TENANT_ID_KEY, VM_ID_KEY, XENPLANE_TAG, type VmJobContext } from './vm-job.context.js';

const MIB = 1024 * 1024;

/** vm.create: clone + provision + size from the template, then start; each step checkpointed. */
@Injectable()
export class CreateVmHandler {
  constructor(
    private readonly vms: VmRepository,
    private readonly operations: OperationRepository,
    private readonly images: ImageRepository,
  ) {}

  async run({ operation, vm, xapi }: VmJobContext): Promise<void> {
    const { tenantId } = vm;
    if (vm.status === 'pending') await this.vms.update(tenantId, vm.id, { status: 'provisioning' });
    const image = await this.images.find(vm.imageId);
    if (!image) throw new SagaError('template_missing', `image ${vm.imageId} no longer exists`);

    // A retry finds the VM an earlier attempt made instead of cloning a second one.
    let made = await xapi.findVmByOtherConfig(VM_ID_KEY, vm.id);
    if (!made) {
      made = await xapi.provisionFromTemplate({
        template: image.template,
        nameLabel: vm.name,
        otherConfig: { [VM_ID_KEY]: vm.id, [TENANT_ID_KEY]: tenantId },
        tags: [XENPLANE_TAG],
        memoryBytes: vm.memoryMiB * MIB,
        vcpus: vm.vcpus,
      });
    }
    await this.operations.checkpoint(tenantId, operation.id, 'provisioned', { xapiUuid: made.uuid });
    await this.vms.update(tenantId, vm.id, { xapiUuid: made.uuid });

    const record = await xapi.getVm(made.ref);
    if (record.power_state !== 'Running') await xapi.startVm(made.ref);
    await this.operations.checkpoint(tenantId, operation.id, 'started', {});
  }
}
