import { isXapiError } from '../errors/xapi-error.js';
import type { XapiClient } from '../client/xapi-client.js';
import { findRootDisk } from './template-disks.js';
import { retryBusy } from './vm-lifecycle.js';
import { isNullRef } from './xapi-refs.js';

/** A VDI we made, found again by the other_config key that names what it is for. */
export interface MarkedVdi {
  ref: string;
  uuid: string;
  otherConfig: Record<string, string>;
  /** The VMs its VBDs attach it to */
  vmRefs: string[];
}

export interface NewVdiSpec {
  srRef: string;
  nameLabel: string;
  virtualSize: number;
  /** Written by VDI.create itself, so a VDI is never seen without its marker */
  otherConfig: Record<string, string>;
}

/** Every VDI whose other_config[key] === value (snapshots excluded). */
export async function findVdisByOtherConfig(client: XapiClient, key: string, value: string): Promise<MarkedVdi[]> {
  const all =
    await client.call<Record<string, { uuid: string; other_config: Record<string, string>; VBDs: string[]; is_a_snapshot: boolean }>>(
      'VDI.get_all_records',
    );
  const out: MarkedVdi[] = [];
  for (const [ref, vdi] of Object.entries(all)) {
    if (vdi.is_a_snapshot || vdi.other_config?.[key] !== value) continue;
    const vmRefs: string[] = [];
    for (const vbd of vdi.VBDs ?? []) {
      const vm = await client.call<string>('VBD.get_VM', vbd).catch(() => null);
      if (vm && !isNullRef(vm)) vmRefs.push(vm);
    }
    out.push({ ref, uuid: vdi.uuid, otherConfig: vdi.other_config, vmRefs });
  }
  return out;
}

/** VDI.create of a plain user disk, not shared, carrying our marker from the start. */
export async function createMarkedVdi(client: XapiClient, spec: NewVdiSpec): Promise<{ ref: string; uuid: string }> {
  const ref = await createMarkedVdiRef(client, spec);
  return { ref, uuid: await client.call<string>('VDI.get_uuid', ref) };
}

/** VDI.create alone, for a caller that persists nothing of the VDI (its marker finds it again). */
export function createMarkedVdiRef(client: XapiClient, spec: NewVdiSpec): Promise<string> {
  return client.call<string>('VDI.create', {
    name_label: spec.nameLabel,
    name_description: 'made by xenplane',
    SR: spec.srRef,
    virtual_size: spec.virtualSize,
    type: 'user',
    sharable: false,
    read_only: false,
    other_config: spec.otherConfig,
    xenstore_data: {},
    sm_config: {},
    tags: [],
  });
}

/** Unplugs (forcibly: the guest only reads it) and destroys a VDI; one already gone counts as destroyed. */
export async function destroyMarkedVdi(client: XapiClient, ref: string): Promise<boolean> {
  try {
    for (const vbd of await client.call<string[]>('VDI.get_VBDs', ref)) {
      if (await client.call<boolean>('VBD.get_currently_attached', vbd).catch(() => false)) await client.callAsync('VBD.unplug_force', vbd);
    }
    await retryBusy(() => client.callAsync('VDI.destroy', ref));
    return true;
  } catch (e) {
    if (!isXapiError(e, 'HANDLE_INVALID')) throw e;
    return false;
  }
}

/** The SR of a VM's boot disk (where its config drive belongs), or null when it has none. */
export async function rootDiskSr(client: XapiClient, vmRef: string): Promise<string | null> {
  const root = await findRootDisk(client, await client.call<string[]>('VM.get_VBDs', vmRef));
  return root ? client.call<string>('VDI.get_SR', root.vdi) : null;
}
