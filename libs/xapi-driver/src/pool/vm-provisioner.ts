import { XapiError, isXapiError } from '../errors/xapi-error.js';
import type { XapiClient } from '../client/xapi-client.js';
import { isUuid } from './xapi-refs.js';
import { findRootDisk, growProvisionRootDisk, provisionRootDiskBytes } from './template-disks.js';
import { toVmRecord, type VmRecord } from './pool-records.js';

/** What to build from a template. */
export interface ProvisionSpec {
  /** Template name_label or uuid */
  template: string;
  nameLabel: string;
  /** Keys we own on the new VM (written after clone, which copies the template's other_config) */
  otherConfig: Record<string, string>;
  tags?: string[];
  memoryBytes: number;
  vcpus: number;
  /** What it may grow to while running (VCPUs_max, memory_static_max); default its size */
  liveMax?: { vcpus: number; memoryBytes: number };
  /** Written as given (callers use `vm-data/...` keys for the guest) */
  xenstoreData?: Record<string, string>;
  /** Grows the boot disk to at least this size (bytes); disks never shrink */
  rootDiskBytes?: number;
}

/** Finds a template by uuid or name_label; throws XapiError TEMPLATE_NOT_FOUND (a driver code) when absent. */
export async function resolveTemplate(client: XapiClient, template: string): Promise<string> {
  if (isUuid(template)) {
    try {
      return await client.call<string>('VM.get_by_uuid', template);
    } catch (e) {
      if (!isXapiError(e, 'UUID_INVALID')) throw e;
    }
  }
  const refs = await client.call<string[]>('VM.get_by_name_label', template);
  for (const ref of refs) {
    if (await client.call<boolean>('VM.get_is_a_template', ref)) return ref;
  }
  throw new XapiError('TEMPLATE_NOT_FOUND', [template], 'VM.get_by_name_label');
}

/** Sets a map key with remove-then-add, since `add_to_*` fails with MAP_DUPLICATE_KEY on an existing key. */
export async function setMapKey(client: XapiClient, cls: string, field: string, ref: string, key: string, value: string): Promise<void> {
  await client.call(`${cls}.remove_from_${field}`, ref, key).catch((e: unknown) => {
    if (!(e instanceof XapiError)) throw e;
  });
  await client.call(`${cls}.add_to_${field}`, ref, key, value);
}

/**
 * Sets the dynamic range to `bytes` and static_max to `maxBytes` (static_min kept lower when it was); on a constraint
 * error sets static_min to `bytes` too.
 */
export async function setMemory(client: XapiClient, ref: string, bytes: number, maxBytes = bytes, knownStaticMin?: number): Promise<void> {
  const staticMin = knownStaticMin ?? (await client.call<number>('VM.get_memory_static_min', ref));
  try {
    await client.call('VM.set_memory_limits', ref, Math.min(staticMin, bytes), maxBytes, bytes, bytes);
  } catch (e) {
    if (!(e instanceof XapiError) || !e.code.startsWith('MEMORY_CONSTRAINT_VIOLATION')) throw e;
    await client.call('VM.set_memory_limits', ref, bytes, maxBytes, bytes, bytes);
  }
}

/** Sets VCPUs_max to `max` and VCPUs_at_startup to `n` so that at_startup <= max holds after each step. */
export async function setVcpus(client: XapiClient, ref: string, n: number, max = n, knownMax?: number): Promise<void> {
  const current = knownMax ?? (await client.call<number>('VM.get_VCPUs_max', ref));
  if (max > current) {
    await client.call('VM.set_VCPUs_max', ref, max);
    await client.call('VM.set_VCPUs_at_startup', ref, n);
  } else {
    await client.call('VM.set_VCPUs_at_startup', ref, n);
    await client.call('VM.set_VCPUs_max', ref, max);
  }
}

/** What completing a clone found: the boot disk's size before it grew (null: none), and its SR when known without asking. */
export interface ProvisionOutcome {
  templateDiskBytes: number | null;
  rootSrRef?: string;
}

/**
 * Brings a clone to `spec` and is safe to repeat after a crash at any point: our keys, provision only while it is
 * still a template, memory and vCPUs only when they differ, the final name, tags and xenstore_data. One read of the
 * record up front (or the caller's, fresh from the clone); our keys and a provision spec grown to the boot disk's size
 * go in one `VM.set_other_config`, so VM.provision makes the disk at its size and no disk is read or resized after.
 */
export async function completeClone(
  client: XapiClient,
  ref: string,
  spec: ProvisionSpec,
  known?: VmRecord,
  defaultSr?: () => Promise<string>,
): Promise<ProvisionOutcome> {
  const vm = known ?? toVmRecord(await client.call<Record<string, unknown>>('VM.get_record', ref));
  const other = { ...vm.other_config, ...spec.otherConfig };
  const declared = vm.is_a_template && other.disks ? provisionRootDiskBytes(other.disks) : null;
  const grown = declared !== null && spec.rootDiskBytes ? growProvisionRootDisk(other.disks, spec.rootDiskBytes) : null;
  if (grown) other.disks = grown;
  if (Object.entries(other).some(([k, v]) => vm.other_config[k] !== v)) await client.call('VM.set_other_config', ref, other);
  let outcome: ProvisionOutcome;
  if (declared !== null) {
    // xapi puts a disk whose sr="" (or names no SR) on the pool's default SR
    const sr = /\bsr="([^"]*)"/.exec(other.disks)?.[1];
    outcome = { templateDiskBytes: declared, ...(!sr && defaultSr ? { rootSrRef: await defaultSr() } : {}) };
    await client.callLong('VM.provision', ref);
  } else {
    if (vm.is_a_template) await client.callLong('VM.provision', ref);
    outcome = { templateDiskBytes: spec.rootDiskBytes ? await growRootDisk(client, ref, spec.rootDiskBytes) : null };
  }
  const max = spec.liveMax ?? { vcpus: spec.vcpus, memoryBytes: spec.memoryBytes };
  if (vm.memory_static_max !== max.memoryBytes || vm.memory_dynamic_max !== spec.memoryBytes)
    await setMemory(client, ref, spec.memoryBytes, max.memoryBytes, vm.memory_static_min);
  if (vm.VCPUs_max !== max.vcpus || vm.VCPUs_at_startup !== spec.vcpus) await setVcpus(client, ref, spec.vcpus, max.vcpus, vm.VCPUs_max);
  if (vm.name_label !== spec.nameLabel) await client.call('VM.set_name_label', ref, spec.nameLabel);
  for (const tag of spec.tags ?? []) if (!vm.tags.includes(tag)) await client.call('VM.add_tags', ref, tag);
  for (const [k, v] of Object.entries(spec.xenstoreData ?? {}))
    if (vm.xenstore_data[k] !== v)
      await (vm.xenstore_data[k] === undefined
        ? client.call('VM.add_to_xenstore_data', ref, k, v)
        : setMapKey(client, 'VM', 'xenstore_data', ref, k, v));
  return outcome;
}

/** Resizes the VM's boot disk (userdevice 0, else the first bootable disk) up to `bytes` when it is smaller. */
export async function growRootDisk(client: XapiClient, ref: string, bytes: number): Promise<number | null> {
  const root = await findRootDisk(client, await client.call<string[]>('VM.get_VBDs', ref));
  if (root && root.bytes < bytes) await client.call('VDI.resize', root.vdi, bytes);
  return root?.bytes ?? null;
}
