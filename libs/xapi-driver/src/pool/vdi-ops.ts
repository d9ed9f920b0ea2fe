// Volume VDIs and their VBDs (wave2 §3.5): made, found again by our other_config tag, grown and destroyed.
import type { XapiClient } from '../client/xapi-client.js';
import { isXapiError } from '../errors/xapi-error.js';

/** other_config key holding a volume's id on its VDI (wave2 §3.5): how a retry finds it, and why a VM delete keeps it. */
export const VOLUME_VDI_KEY = 'xenplane-volume';
/** other_config key holding a tenant image's id on its golden VDI (wave2 §3.7): how a retry finds what it made, and a delete what to destroy. */
export const IMAGE_VDI_KEY = 'xenplane-image';

export interface VbdOfVdi {
  ref: string;
  uuid: string;
  vmRef: string;
  userdevice: string;
  currentlyAttached: boolean;
}

/** The first VDI whose other_config[key] === value (a retried create finds what a crashed one made), or null. */
/** The SR a new VDI goes to: the one named by uuid, else the pool's default SR. */
export async function resolveSr(client: XapiClient, srUuid: string | null): Promise<{ ref: string; freeBytes: number }> {
  let ref: string;
  if (srUuid) ref = await client.call<string>('SR.get_by_uuid', srUuid);
  else {
    const [pool] = await client.call<string[]>('pool.get_all');
    ref = await client.call<string>('pool.get_default_SR', pool);
  }
  const r = await client.call<{ physical_size: number | string; physical_utilisation: number | string }>('SR.get_record', ref);
  return { ref, freeBytes: Number(r.physical_size) - Number(r.physical_utilisation) };
}

/** The VDI's VBDs (any VM), each with its VM and whether it is plugged. */
export async function vbdsOfVdi(client: XapiClient, vdiRef: string): Promise<VbdOfVdi[]> {
  const out: VbdOfVdi[] = [];
  for (const ref of await client.call<string[]>('VDI.get_VBDs', vdiRef)) {
    const r = await client.call<{ uuid: string; VM: string; userdevice: string; currently_attached: boolean }>('VBD.get_record', ref).catch(gone);
    if (r) out.push({ ref, uuid: r.uuid, vmRef: r.VM, userdevice: r.userdevice, currentlyAttached: r.currently_attached === true });
  }
  return out;
}

/** Destroys, a VBD or VDI already gone counting as done. */
export async function destroyObject(client: XapiClient, cls: 'VBD' | 'VDI', ref: string): Promise<void> {
  await client.callAsync(`${cls}.destroy`, ref).catch(gone);
}

function gone(e: unknown): undefined {
  if (isXapiError(e, 'HANDLE_INVALID')) return undefined;
  throw e;
}
