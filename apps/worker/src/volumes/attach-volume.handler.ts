import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { JobName, OperationRepository, VmRepository, VolumeRepository, type VolumeEntity } from '@xenplane/core';
import { VOLUME_VDI_KEY, isXapiError, type VbdOfVdi, type XapiStorage } from '@xenplane/xapi-driver';
import { ResourceLifecycle } from '@xenplane/tenancy';
import { SagaError, type JobFailure } from '../pipeline/job-failure.js';
import { HandlesJobs } from '../pipeline/operation-handler.js';
import { VolumeOperationHandler, type VolumeContext } from './volume-operation.handler.js';
import { canHotplug, requiresStop, volumeVm } from './volume-vm.js';

// Device "3" is the CD drive's slot on xapi's templates.
const CD_SLOT = '3';

/** volume.attach: a VBD on the VM (reused if an earlier attempt made it), plugged if the VM runs. */
@Injectable()
@HandlesJobs(JobName.VolumeAttach)
export class AttachVolumeHandler extends VolumeOperationHandler<{ vbdUuid: string; device: string }> {
  constructor(
    @InjectDataSource() ds: DataSource,
    volumes: VolumeRepository,
    operations: OperationRepository,
    lifecycle: ResourceLifecycle,
    private readonly vms: VmRepository,
  ) {
    super(ds, volumes, operations, lifecycle);
  }

  async run(ctx: VolumeContext): Promise<{ vbdUuid: string; device: string }> {
    const { resource: volume } = ctx;
    const pool = await ctx.xapi();
    const storage = await this.storage(ctx);
    const vm = await volumeVm(pool, volume.vmId ? await this.vms.find(volume.tenantId, volume.vmId) : null);
    const vdi = await this.vdi(storage, volume);
    const vbds = await storage.vbdsOfVdi(vdi.ref);
    const elsewhere = vbds.find((b) => b.vmRef !== vm.ref);
    if (elsewhere) throw new SagaError('in_use', 'the volume has a VBD on another VM');
    let vbd = vbds.find((b) => b.vmRef === vm.ref);
    // Checked before a VBD is made, so a refused attach leaves nothing on the pool.
    if (vm.running && !vbd?.currentlyAttached && !(await canHotplug(storage, vm.ref))) throw requiresStop('attach');
    vbd ??= await this.createVbd(storage, vm.ref, vdi.ref);
    if (vm.running && !vbd.currentlyAttached) await storage.plugVbd(vbd.ref);
    return { vbdUuid: vbd.uuid, device: vbd.userdevice };
  }

  /** In the lowest free disk slot; a concurrent attach to the same VM may take it first (DEVICE_ALREADY_EXISTS), then the next. */
  private async createVbd(storage: XapiStorage, vmRef: string, vdiRef: string): Promise<VbdOfVdi> {
    const free = (await storage.allowedVbdDevices(vmRef)).filter((d) => d !== CD_SLOT).sort((a, b) => Number(a) - Number(b));
    for (const device of free) {
      try {
        const made = await storage.createVbd({ vmRef, vdiRef, userdevice: device, bootable: false, mode: 'RW', type: 'Disk' });
        return { ...made, vmRef, userdevice: device, currentlyAttached: false };
      } catch (e) {
        if (!isXapiError(e, 'DEVICE_ALREADY_EXISTS')) throw e;
      }
    }
    throw new SagaError('no_device_slot', 'the VM has no free disk slot');
  }

  async succeed(ctx: VolumeContext, made: { vbdUuid: string; device: string }): Promise<void> {
    await this.finish(ctx, { status: 'in-use', vbdUuid: made.vbdUuid, device: made.device, errorReason: null });
  }

  /** A failed attach takes its VBD back off the VM and leaves the volume detached. */
  async fail(ctx: VolumeContext, failure: JobFailure): Promise<void> {
    // A compensation that fails throws: the job retries its failure, so no VBD is left behind.
    await this.removeVbds(ctx, ctx.resource);
    await this.finish(ctx, { status: 'available', vmId: null, vbdUuid: null, device: null, errorReason: failure.code }, failure);
  }

  private async removeVbds(ctx: VolumeContext, volume: VolumeEntity): Promise<void> {
    const storage = await this.storage(ctx);
    const vdi = await storage.findVdiByOtherConfig(VOLUME_VDI_KEY, volume.id);
    for (const vbd of vdi ? await storage.vbdsOfVdi(vdi.ref) : []) {
      if (vbd.currentlyAttached) await storage.unplugVbd(vbd.ref, { force: true });
      await storage.destroyVbd(vbd.ref);
    }
  }
}
