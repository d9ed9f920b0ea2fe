import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ImageRepository, JobName, OperationRepository, VmNicRepository, VmRepository } from '@xenplane/core';
import { ResourceLifecycle } from '@xenplane/tenancy';
import { isXapiError, type XapiPool } from '@xenplane/xapi-driver';
import { SagaError } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { ConfigDriveService } from './config-drive.service.js';
import { cloneMarker, locateVm } from './vm-locator.js';
import { TENANT_ID_KEY, VM_ID_KEY, XENPLANE_TAG } from './vm-markers.js';
import { VmOperationHandler, type VmContext } from './vm-operation.handler.js';
import { VmOutcomeService } from './vm-outcome.service.js';

const MIB = 1024 * 1024;

/**
 * vm.create as a saga: clone (checkpointed with the uuid it made), configure, plug NICs, attach the config drive, place and start. Every step is
 * safe to repeat, and a retried job first looks for what an earlier attempt made, so nothing is cloned twice.
 */
@Injectable()
@HandlesJobs(JobName.VmCreate)
export class CreateVmHandler extends VmOperationHandler {
  constructor(
    vms: VmRepository,
    outcome: VmOutcomeService,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly operations: OperationRepository,
    private readonly images: ImageRepository,
    private readonly nics: VmNicRepository,
    private readonly lifecycle: ResourceLifecycle,
    private readonly drives: ConfigDriveService,
  ) {
    super(vms, outcome);
  }

  async run({ operation, resource: vm, xapi: connect }: VmContext): Promise<void> {
    const { tenantId } = vm;
    if (vm.status === 'pending') await this.vms.update(this.ds.manager, tenantId, vm.id, { status: 'provisioning' });
    const image = await this.images.find(vm.imageId);
    if (!image) throw new SagaError('template_missing', `image ${vm.imageId} no longer exists`);
    const xapi = await connect();
    // Built while the pool clones and configures; awaited at its step.
    const drive = this.drives.prepare(vm);

    // The very first run cannot have made anything yet; every later one (retry, stalled job) looks first.
    const firstRun = operation.attempts === 0 && operation.step === null;
    let made = firstRun ? null : await locateVm(xapi, vm, operation.checkpoint.xapiUuid);
    if (!made) made = await xapi.cloneTemplate(image.template, cloneMarker(vm.id));
    const clone = made;
    await this.ds.transaction(async (tx) => {
      await this.operations.checkpoint(tx, tenantId, operation.id, 'cloned', { xapiUuid: clone.uuid });
      // From here the VM is on the pool: billed for its disk until it is released.
      await this.lifecycle.apply(tx, { kind: 'vm', tenantId, id: vm.id }, 'made', { patch: { xapiUuid: clone.uuid }, operationId: operation.id });
    });

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
    await this.operations.checkpoint(this.ds.manager, tenantId, operation.id, 'configured', {});

    await this.plugNics(xapi, tenantId, vm.id, made.ref);
    await this.operations.checkpoint(this.ds.manager, tenantId, operation.id, 'nics', {});

    const record = await xapi.getVm(made.ref);
    if (record.power_state !== 'Running') {
      // Attached before the first start, so cloud-init finds it on first boot.
      const driveUuid = await this.drives.ensure(xapi, vm, made.ref, { prepared: drive, fresh: firstRun });
      await this.operations.checkpoint(this.ds.manager, tenantId, operation.id, 'configdrive', { configDriveUuid: driveUuid });
      const host = await xapi.placeVm(vm.memoryMiB * MIB);
      if (!host) throw new SagaError('no_capacity', `no host has ${vm.memoryMiB} MiB free`);
      await xapi.startVm(made.ref, host.ref);
    }
    await this.operations.checkpoint(this.ds.manager, tenantId, operation.id, 'started', {});
  }

  /** One VIF per NIC row (kept if an earlier attempt made it), and its address where the guest reads it. */
  private async plugNics(xapi: XapiPool, tenantId: string, vmId: string, vmRef: string): Promise<void> {
    for (const nic of await this.nics.listPlugs(tenantId, vmId)) {
      if (!nic.networkXapiUuid) throw new SagaError('network_unavailable', `network ${nic.networkId} has no XAPI network`);
      await xapi.ensureVif(vmRef, { device: nic.device, networkUuid: nic.networkXapiUuid, mac: nic.mac, mtu: 1500 }).catch((err: unknown) => {
        if (!isXapiError(err, 'UUID_INVALID')) throw err;
        throw new SagaError('network_unavailable', `network ${nic.networkId} is gone from the pool (XAPI network ${nic.networkXapiUuid})`);
      });
      await xapi.setXenstoreKey(vmRef, `vm-data/ip${nic.device}`, `${nic.ip}/${nic.prefix}`);
    }
  }
}
