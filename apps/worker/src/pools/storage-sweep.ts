import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { DiskOwnersRepository, LOGGER, derivedUuid, type DiskOwner } from '@xenplane/core';
import { ResourceLifecycle } from '@xenplane/tenancy';
import { VOLUME_VDI_KEY, XapiStorage, type XapiPool } from '@xenplane/xapi-driver';
import { reconcileDrift } from '../worker.metrics.js';
import { CONFIG_DRIVE_KEY } from '../vms/config-drive.service.js';
import { SNAPSHOT_VDI_KEY } from '../snapshots/snapshot-markers.js';

const SNAPSHOT_VM = /^xenplane-snapshot-([0-9a-f-]{36})$/;

interface VdiRecord {
  uuid: string;
  name_label: string;
  is_a_snapshot: boolean;
  other_config: Record<string, string>;
  VBDs: string[];
}

/** Nothing of ours claims it any more: no row, or a row released with no operation changing it. */
const unclaimed = (owner: DiskOwner | undefined) => !owner || (owner.presence === 'released' && !owner.busy);

/**
 * One pass over a pool's storage (run by pool sync, under its per-pool lock): destroys what a crashed saga left behind
 * and no row will ever claim (snapshot VMs and VDIs, a volume's snapshot taken but never marked, config drives of VMs
 * that are gone), adopts a volume VDI whose create could not confirm it, and reports volume VDIs no row knows (a
 * tenant's data: never destroyed here).
 */
@Injectable()
export class StorageSweep {
  /** VDIs already reported as orphans: counted once per worker, not at every sweep. */
  private readonly reported = new Set<string>();

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly owners: DiskOwnersRepository,
    private readonly lifecycle: ResourceLifecycle,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async sweep(poolId: string, pool: XapiPool): Promise<void> {
    const storage = new XapiStorage(pool.client);
    // XAPI first, then the rows: anything listed was accepted (row and operation committed) before it was made.
    const vdis = Object.entries(await pool.client.call<Record<string, VdiRecord>>('VDI.get_all_records'));
    const snapshotVms = Object.entries(
      await pool.client.call<Record<string, { uuid: string; name_label: string }>>('VM.get_all_records_where', 'field "is_a_snapshot" = "true"'),
    );
    const { vms, volumes, snapshots } = await this.owners.inPool(poolId);
    const drift = (kind: string, detail: Record<string, unknown>, msg: string) => {
      reconcileDrift.inc({ pool: poolId, kind });
      this.logger.warn({ poolId, ...detail }, msg);
    };
    for (const [ref, vm] of snapshotVms) {
      const id = SNAPSHOT_VM.exec(vm.name_label)?.[1];
      const owner = id ? snapshots.get(id) : undefined;
      if (!id || !(unclaimed(owner) || (owner!.xapiUuid && owner!.xapiUuid !== vm.uuid && !owner!.busy))) continue;
      if (await storage.destroySnapshotVm(ref))
        drift('orphan_snapshot', { xapiUuid: vm.uuid, snapshotId: id }, 'snapshot VM no live row holds: destroyed');
    }
    for (const [ref, vdi] of vdis) {
      const oc = vdi.other_config ?? {};
      if (vdi.is_a_snapshot && oc[SNAPSHOT_VDI_KEY]) {
        const owner = snapshots.get(oc[SNAPSHOT_VDI_KEY]);
        if (!unclaimed(owner) && !(owner!.xapiUuid && owner!.xapiUuid !== vdi.uuid && !owner!.busy)) continue;
        if (await storage.destroyVdi(ref))
          drift('orphan_snapshot', { xapiUuid: vdi.uuid, snapshotId: oc[SNAPSHOT_VDI_KEY] }, 'volume snapshot no live row holds: destroyed');
      } else if (vdi.is_a_snapshot && oc[VOLUME_VDI_KEY]) {
        // VDI.snapshot answered but the create died before marking it, and no operation on the volume will.
        if (volumes.get(oc[VOLUME_VDI_KEY])?.busy) continue;
        if (await storage.destroyVdi(ref))
          drift('orphan_snapshot', { xapiUuid: vdi.uuid, volumeId: oc[VOLUME_VDI_KEY] }, 'unmarked volume snapshot: destroyed');
      } else if (!vdi.is_a_snapshot && oc[CONFIG_DRIVE_KEY] && unclaimed(vms.get(oc[CONFIG_DRIVE_KEY]))) {
        // Listed before our own delete destroyed it, read as released after: gone already is not drift.
        if (await storage.destroyVdi(ref))
          drift('orphan_config_drive', { xapiUuid: vdi.uuid, vmId: oc[CONFIG_DRIVE_KEY] }, 'config drive of a VM that is gone: destroyed');
      } else if (!vdi.is_a_snapshot && oc[VOLUME_VDI_KEY]) {
        await this.volumeVdi(poolId, volumes.get(oc[VOLUME_VDI_KEY]), oc[VOLUME_VDI_KEY], vdi, drift);
      }
    }
  }

  /** A volume's VDI: adopted by a row that could not confirm it; reported when no live row holds it. */
  private async volumeVdi(
    poolId: string,
    owner: DiskOwner | undefined,
    volumeId: string,
    vdi: VdiRecord,
    drift: (kind: string, detail: Record<string, unknown>, msg: string) => void,
  ): Promise<void> {
    if (owner?.presence === 'unconfirmed' && !owner.busy && !owner.xapiUuid) {
      await this.ds.transaction(async (tx) => {
        const patch = { status: 'available', xapiUuid: vdi.uuid, errorReason: null };
        const target = { kind: 'volume' as const, tenantId: owner.tenantId, id: volumeId };
        await this.lifecycle.apply(tx, target, 'made', { patch, operationId: derivedUuid(volumeId, `adopt:${vdi.uuid}`) });
      });
      drift('adopted', { xapiUuid: vdi.uuid, volumeId, poolOf: poolId }, 'volume VDI its failed create could not confirm: adopted');
    } else if (unclaimed(owner) && !this.reported.has(vdi.uuid)) {
      this.reported.add(vdi.uuid);
      drift(
        'orphan',
        { xapiUuid: vdi.uuid, volumeId, nameLabel: vdi.name_label },
        'VDI tagged xenplane-volume has no live row (kept: it holds data)',
      );
    }
  }
}
