import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import type { XapiClient } from '../client/xapi-client.js';
import { refOrNull } from './xapi-refs.js';

/** A template and the size of the boot disk a VM cloned from it gets (null when it declares none). */
export interface TemplateDisk {
  uuid: string;
  nameLabel: string;
  rootDiskBytes: number | null;
}

const xmlOptions = { ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false };
const parser = new XMLParser({ ...xmlOptions, isArray: (n) => n === 'disk' });
const builder = new XMLBuilder({ ...xmlOptions, suppressEmptyNode: true, suppressBooleanAttributes: false });
type ProvisionDoc = { provision?: { disk?: Array<Record<string, string>> } };
const rootOf = (disks: Array<Record<string, string>>) => disks.find((d) => String(d.device) === '0') ?? disks.find((d) => d.bootable === 'true');

/**
 * The boot disk of an `other_config:disks` provision spec (xapi's `xapi_templates.ml`: `<provision><disk device= size=
 * bootable= .../></provision>`, sizes in bytes): device 0, else the first bootable one; null without disks.
 */
export function provisionRootDiskBytes(xml: string): number | null {
  const size = Number(parseProvision(xml)?.root?.size);
  return Number.isFinite(size) && size > 0 ? size : null;
}

/** The parsed spec and its boot disk; null when the XML does not parse. */
function parseProvision(xml: string): { doc: ProvisionDoc; root: Record<string, string> | undefined } | null {
  try {
    const doc = parser.parse(xml) as ProvisionDoc;
    return { doc, root: rootOf(doc.provision?.disk ?? []) };
  } catch {
    return null;
  }
}

/**
 * The provision spec with its boot disk at least `bytes`, so that VM.provision makes it that size (xapi_templates.ml
 * reads the spec from the VM's own other_config, which a clone copies); null when it declares no boot disk.
 */
export function growProvisionRootDisk(xml: string, bytes: number): string | null {
  const { doc, root } = parseProvision(xml) ?? {};
  if (!doc || !root || !(Number(root.size) > 0)) return null;
  if (Number(root.size) < bytes) root.size = String(bytes);
  return String(builder.build({ provision: doc.provision }));
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
