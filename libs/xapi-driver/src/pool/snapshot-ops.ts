// Finding snapshots again (wave2 §3.6): a VM snapshot by the name VM.snapshot gave it, a VDI snapshot among its disk's.
import type { XapiClient } from '../client/xapi-client.js';
import { isXapiError } from '../errors/xapi-error.js';
import { findRootDisk } from './template-disks.js';
import { refOrNull } from './xapi-refs.js';

/** A VDI snapshot with what identifies it: its marker keys and when it was taken. */
export interface VdiSnapshot {
  ref: string;
  uuid: string;
  otherConfig: Record<string, string>;
  time: Date;
}

/** The snapshot VM named exactly `nameLabel` (VM.snapshot sets it atomically), or null. */
export async function findSnapshotVm(client: XapiClient, nameLabel: string): Promise<{ ref: string; uuid: string } | null> {
  for (const ref of await client.call<string[]>('VM.get_by_name_label', nameLabel)) {
    const r = await client.call<{ uuid: string; is_a_snapshot: boolean }>('VM.get_record', ref).catch(() => null);
    if (r?.is_a_snapshot) return { ref, uuid: r.uuid };
  }
  return null;
}

/** Every disk of the VM but its boot disk: what a snapshot of the VM alone leaves out (ignore_vdis). */
export async function diskVdisBesidesRoot(client: XapiClient, vmRef: string): Promise<string[]> {
  const vbds = await client.call<string[]>('VM.get_VBDs', vmRef);
  const root = await findRootDisk(client, vbds);
  const out: string[] = [];
  for (const vbd of vbds) {
    const r = await client.call<{ type: string; VDI: string }>('VBD.get_record', vbd);
    const vdi = refOrNull(r.VDI);
    if (r.type === 'Disk' && vdi && vdi !== root?.vdi) out.push(vdi);
  }
  return out;
}

/** The snapshots of a VDI, oldest first. */
export async function vdiSnapshots(client: XapiClient, vdiRef: string): Promise<VdiSnapshot[]> {
  const out: VdiSnapshot[] = [];
  for (const ref of await client.call<string[]>('VDI.get_snapshots', vdiRef)) {
    const r = await client
      .call<{ uuid: string; other_config: Record<string, string>; snapshot_time: Date }>('VDI.get_record', ref)
      .catch((e: unknown) => {
        if (isXapiError(e, 'HANDLE_INVALID')) return null;
        throw e;
      });
    if (r) out.push({ ref, uuid: r.uuid, otherConfig: r.other_config ?? {}, time: new Date(r.snapshot_time) });
  }
  return out.sort((a, b) => a.time.getTime() - b.time.getTime());
}

/** A ref by uuid, or null when the pool has no such object. */
export async function refByUuid(client: XapiClient, cls: 'VM' | 'VDI', uuid: string): Promise<string | null> {
  try {
    return await client.call<string>(`${cls}.get_by_uuid`, uuid);
  } catch (e) {
    if (isXapiError(e, 'UUID_INVALID', 'HANDLE_INVALID')) return null;
    throw e;
  }
}
