import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { VolumeRepository, type VmEntity } from '@xenplane/core';
import type { XapiStorage } from '@xenplane/xapi-driver';

// Device "3" is the CD drive's slot on xapi's templates.
const CD_SLOT = '3';

/**
 * VM.revert destroys every VBD of the VM (xapi_vm_snapshot.ml update_vifs_vbds_vgpus_and_vusbs) and only re-creates the
 * snapshot's: the volumes a VM snapshot leaves out stay attached in xenplane, so their VBDs are made again, at their
 * device when it is still free. Repeatable: a VBD already there is kept and recorded.
 */
@Injectable()
export class VolumeReattacher {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly volumes: VolumeRepository,
  ) {}

  async reattach(storage: XapiStorage, vm: Pick<VmEntity, 'tenantId' | 'id'>, vmRef: string): Promise<void> {
    for (const volume of await this.volumes.listForVm(vm.tenantId, vm.id)) {
      if (volume.status !== 'in-use' || !volume.xapiUuid) continue;
      const vdiRef = await storage.refByUuid('VDI', volume.xapiUuid);
      if (!vdiRef) continue;
      let vbd = (await storage.vbdsOfVdi(vdiRef)).find((b) => b.vmRef === vmRef) ?? null;
      if (!vbd) {
        const free = (await storage.allowedVbdDevices(vmRef)).filter((d) => d !== CD_SLOT).sort((a, b) => Number(a) - Number(b));
        const device = volume.device && free.includes(volume.device) ? volume.device : free[0];
        const made = await storage.createVbd({ vmRef, vdiRef, userdevice: device, bootable: false, mode: 'RW', type: 'Disk' });
        vbd = { ...made, vmRef, userdevice: device, currentlyAttached: false };
      }
      if (vbd.uuid !== volume.vbdUuid || vbd.userdevice !== volume.device) {
        await this.volumes.update(this.ds.manager, vm.tenantId, volume.id, { vbdUuid: vbd.uuid, device: vbd.userdevice });
      }
    }
  }
}
