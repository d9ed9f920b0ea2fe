import { Injectable } from '@nestjs/common';
import { ImageRepository, OperationRepository, VmNicRepository, VmRepository } from '@xenplane/core';
import type { XapiPool } from '@xenplane/xapi-driver';
import { SagaError } from './job-failure.js';
import { cloneMarker, locateVm } from './vm-locator.js';
import { TENANT_ID_KEY, VM_ID_KEY, XENPLANE_TAG, type VmJobContext } from './vm-job.context.js';

const MIB = 1024 * 1024;

/**
 * vm.create as a saga: clone (checkpointed with the uuid it made), configure, plug NICs, place and start. Every step is
 * safe to repeat, and a retried job first looks for what an earlier attempt made, so nothing is cloned twice.
 */
@Injectable()
export class CreateVmHandler {
  constructor(
    private readonly vms: VmRepository,
    private readonly operations: OperationRepository,
    private readonly images: ImageRepository,
    private readonly nics: VmNicRepository,
  ) {}

  async run({ operation, vm, xapi }: VmJobContext): Promise<void> {
    const { tenantId } = vm;
    if (vm.status === 'pending') await this.vms.update(tenantId, vm.id, { status: 'provisioning' });
    const image = await this.images.find(vm.imageId);
    if (!image) throw new SagaError('template_missing', `image ${vm.imageId} no longer exists`);

    // The very first run cannot have made anything yet; every later one (retry, stalled job) looks first.
    const firstRun = operation.attempts === 0 && operation.step === null;
    let made = firstRun ? null : await locateVm(xapi, vm, operation.checkpoint.xapiUuid);
    if (!made) made = await xapi.cloneTemplate(image.template, cloneMarker(vm.id));
    await this.operations.checkpoint(tenantId, operation.id, 'cloned', { xapiUuid: made.uuid });
    await this.vms.update(tenantId, vm.id, { xapiUuid: made.uuid });

    await xapi.completeProvisioning(made.ref, {
      nameLabel: vm.name,
      otherConfig: { [VM_ID_KEY]: vm.id, [TENANT_ID_KEY]: tenantId },
      tags: [XENPLANE_TAG],
      memoryBytes: vm.memoryMiB * MIB,
      vcpus: vm.vcpus,
      rootDiskBytes: vm.diskGiB * 1024 * MIB,
    });
    // Disks never shrink: a template larger than what was charged (unknown when the VM was accepted) fails it cleanly.
    const diskBytes = await xapi.rootDiskBytes(made.ref);
    if (diskBytes !== null && diskBytes > vm.diskGiB * 1024 * MIB) {
      const minDiskGiB = Math.ceil(diskBytes / (1024 * MIB));
      throw new SagaError('disk_below_template', `the template's disk is ${minDiskGiB} GiB, more than the ${vm.diskGiB} GiB asked for`);
    }
    await this.operations.checkpoint(tenantId, operation.id, 'configured', {});

    await this.plugNics(xapi, tenantId, vm.id, made.ref);
    await this.operations.checkpoint(tenantId, operation.id, 'nics', {});

    const record = await xapi.getVm(made.ref);
    if (record.power_state !== 'Running') {
      const host = await xapi.placeVm(vm.memoryMiB * MIB);
      if (!host) throw new SagaError('no_capacity', `no host has ${vm.memoryMiB} MiB free`);
      await xapi.startVm(made.ref, host.ref);
    }
    await this.operations.checkpoint(tenantId, operation.id, 'started', {});
  }

  /** One VIF per NIC row (kept if an earlier attempt made it), and its address where the guest reads it. */
  private async plugNics(xapi: XapiPool, tenantId: string, vmId: string, vmRef: string): Promise<void> {
    for (const nic of await this.nics.listPlugs(tenantId, vmId)) {
      if (!nic.networkXapiUuid) throw new SagaError('network_unavailable', `network ${nic.networkId} has no XAPI network`);
      await xapi.ensureVif(vmRef, { device: nic.device, networkUuid: nic.networkXapiUuid, mac: nic.mac, mtu: 1500 });
      await xapi.setXenstoreKey(vmRef, `vm-data/ip${nic.device}`, `${nic.ip}/${nic.prefix}`);
    }
  }
}
