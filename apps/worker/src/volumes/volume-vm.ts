import type { VmEntity } from '@xenplane/core';
import type { XapiPool, XapiStorage } from '@xenplane/xapi-driver';
import { SagaError } from '../pipeline/job-failure.js';

/** The VM a volume attaches to, as the pool has it now. */
export async function volumeVm(pool: XapiPool, vm: VmEntity | null): Promise<{ ref: string; running: boolean }> {
  const found = vm?.xapiUuid ? await pool.getVmByUuid(vm.xapiUuid) : null;
  if (!found) throw new SagaError('vanished', 'the VM no longer exists on the pool');
  return { ref: found.ref, running: found.record.power_state === 'Running' };
}

/**
 * Whether a running guest can hot-plug disks: as xapi decides for an HVM guest (xapi_vbd_helpers.ml), the guest
 * agent's `can_use_hotplug_vbd`, and when it says nothing, whether PV drivers are there at all.
 */
export async function canHotplug(storage: XapiStorage, vmRef: string): Promise<boolean> {
  const gm = await storage.guestMetrics(vmRef);
  if (!gm) return false;
  return gm.canUseHotplugVbd === 'yes' || (gm.canUseHotplugVbd === 'unspecified' && gm.pvDriversDetected);
}

export function requiresStop(what: string): SagaError {
  return new SagaError('requires_stop', `the guest cannot hot-plug disks: stop the VM to ${what} this volume`);
}
