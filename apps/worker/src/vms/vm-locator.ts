import type { VmEntity } from '@xenplane/core';
import type { VmHandle, XapiPool } from '@xenplane/xapi-driver';
import { VM_ID_KEY } from './vm-markers.js';

/** name_label a clone carries until it is configured: set atomically by VM.clone, so a crash cannot hide it. */
export function cloneMarker(vmId: string): string {
  return `xenplane-${vmId}`;
}

/**
 * Finds the XAPI VM a row stands for: by the uuid we recorded, else by the clone marker (a clone keeps it until it
 * is configured, and its uuid is checkpointed before that), else, last, by scanning for our id in other_config.
 */
export async function locateVm(xapi: XapiPool, vm: Pick<VmEntity, 'id' | 'xapiUuid'>, checkpointUuid?: unknown): Promise<VmHandle | null> {
  for (const uuid of [vm.xapiUuid, typeof checkpointUuid === 'string' ? checkpointUuid : null]) {
    if (!uuid) continue;
    const found = await xapi.getVmByUuid(uuid);
    if (found) return { ref: found.ref, uuid };
  }
  return (await xapi.findVmByNameLabel(cloneMarker(vm.id))) ?? (await xapi.findVmByOtherConfig(VM_ID_KEY, vm.id));
}
