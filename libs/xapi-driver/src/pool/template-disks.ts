import { XMLParser } from 'fast-xml-parser';
import type { XapiClient } from '../client/xapi-client.js';
import { refOrNull } from './xapi-refs.js';

/** A template and the size of the boot disk a VM cloned from it gets (null when it declares none). */
export interface TemplateDisk {
  uuid: string;
  nameLabel: string;
  rootDiskBytes: number | null;
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false, isArray: (n) => n === 'disk' });

/**
 * The boot disk of an `other_config:disks` provision spec (xapi's `xapi_templates.ml`: `<provision><disk device= size=
 * bootable= .../></provision>`, sizes in bytes): device 0, else the first bootable one; null without disks.
 */
export function provisionRootDiskBytes(xml: string): number | null {
  let doc: { provision?: { disk?: Array<Record<string, string>> } };
  try {
    doc = parser.parse(xml) as typeof doc;
  } catch {
    return null;
  }
  const disks = doc.provision?.disk ?? [];
  const root = disks.find((d) => String(d.device) === '0') ?? disks.find((d) => d.bootable === 'true');
  const size = Number(root?.size);
  return root && Number.isFinite(size) && size > 0 ? size : null;
}

/** Every template of the pool (snapshots excluded) with its boot disk size, as a clone of it would have it. */
export async function listTemplateDisks(client: XapiClient): Promise<TemplateDisk[]> {
  const templates = await client.call<Record<string, Record<string, unknown>>>('VM.get_all_records_where', 'field "is_a_template" = "true"');
  const out: TemplateDisk[] = [];
  for (const raw of Object.values(templates)) {
    if (raw.is_a_snapshot === true || raw.is_control_domain === true) continue;
    const other = (raw.other_config ?? {}) as Record<string, string>;
    // VM.provision makes the declared disks; a template made from a VM carries real ones instead.
    const rootDiskBytes = other.disks
      ? provisionRootDiskBytes(other.disks)
      : ((await findRootDisk(client, (raw.VBDs ?? []) as string[]))?.bytes ?? null);
    out.push({ uuid: String(raw.uuid), nameLabel: String(raw.name_label), rootDiskBytes });
  }
  return out;
}

/** A VM's boot disk (userdevice 0, else the first bootable disk) and its virtual size, or null without one. */
export async function findRootDisk(client: XapiClient, vbds: string[]): Promise<{ vdi: string; bytes: number } | null> {
  const disks: { vdi: string; userdevice: string; bootable: boolean }[] = [];
  for (const vbd of vbds) {
    const r = await client.call<{ type: string; VDI: string; userdevice: string; bootable: boolean }>('VBD.get_record', vbd);
    const vdi = refOrNull(r.VDI);
    if (r.type === 'Disk' && vdi) disks.push({ vdi, userdevice: r.userdevice, bootable: r.bootable });
  }
  const root = disks.find((d) => d.userdevice === '0') ?? disks.find((d) => d.bootable);
  return root ? { vdi: root.vdi, bytes: Number(await client.call<number>('VDI.get_virtual_size', root.vdi)) } : null;
}
