/** other_config key naming the snapshot a volume's snapshot VDI is (set right after VDI.snapshot; see CreateSnapshotHandler). */
export const SNAPSHOT_VDI_KEY = 'xenplane-snapshot';

/** name_label VM.snapshot gives a VM's snapshot: set atomically by the call, so a crash right after it cannot hide it. */
export function snapshotMarker(snapshotId: string): string {
  return `xenplane-snapshot-${snapshotId}`;
}
