import type { SnapshotEntity } from '@xenplane/core';
import type { Handle, XapiStorage } from '@xenplane/xapi-driver';
import { SNAPSHOT_VDI_KEY, snapshotMarker } from './snapshot-markers.js';

/**
 * The snapshot's object on the pool: by the uuid recorded, else by what marks it (a VM snapshot's name, a volume
 * snapshot's other_config among the volume VDI's snapshots); only ever a snapshot, never the VM or disk it copies.
 */
export async function findSnapshotOnPool(storage: XapiStorage, snapshot: SnapshotEntity, volumeVdi: Handle | null): Promise<Handle | null> {
  const cls = snapshot.vmId ? 'VM' : 'VDI';
  if (snapshot.xapiUuid) {
    const ref = await storage.refByUuid(cls, snapshot.xapiUuid);
    if (ref && (await storage.client.call<boolean>(`${cls}.get_is_a_snapshot`, ref))) return { ref, uuid: snapshot.xapiUuid };
  }
  if (snapshot.vmId) return storage.findSnapshotVm(snapshotMarker(snapshot.id));
  if (!volumeVdi) return null;
  const marked = (await storage.vdiSnapshots(volumeVdi.ref)).find((s) => s.otherConfig[SNAPSHOT_VDI_KEY] === snapshot.id);
  return marked ? { ref: marked.ref, uuid: marked.uuid } : null;
}

/**
 * Destroys the snapshot's VM and its disks (or its VDI), and with `unmarkedSince` a volume snapshot a crash left unmarked
 * since then; answers true once the pool holds nothing of it. Already gone counts as destroyed.
 */
export async function destroySnapshotOnPool(
  storage: XapiStorage,
  snapshot: SnapshotEntity,
  volumeVdi: Handle | null,
  opts: { unmarkedSince?: Date } = {},
): Promise<boolean> {
  const found = await findSnapshotOnPool(storage, snapshot, volumeVdi);
  if (found && snapshot.vmId) await storage.destroySnapshotVm(found.ref);
  if (found && !snapshot.vmId) await storage.destroyVdi(found.ref);
  if (opts.unmarkedSince && volumeVdi) {
    const since = opts.unmarkedSince.getTime() - 1000;
    for (const s of await storage.vdiSnapshots(volumeVdi.ref)) {
      if (!s.otherConfig[SNAPSHOT_VDI_KEY] && s.time.getTime() >= since) await storage.destroyVdi(s.ref);
    }
  }
  return true;
}
