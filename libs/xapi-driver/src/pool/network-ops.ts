import type { XapiClient } from '../client/xapi-client.js';
import { isXapiError } from '../errors/xapi-error.js';
import { setMapKey } from './vm-provisioner.js';

/** A network's handles: the ref for this session, the uuid to persist. */
export interface NetworkHandle {
  ref: string;
  uuid: string;
}

export interface NetworkSpec {
  nameLabel: string;
  nameDescription: string;
  otherConfig: Record<string, string>;
  tags: string[];
  mtu?: number;
}

export interface VifSpec {
  device: number;
  networkUuid: string;
  mac: string;
  mtu?: number;
}

/** The first network whose other_config[key] === value, or null. */
export async function findNetworkByOtherConfig(client: XapiClient, key: string, value: string): Promise<NetworkHandle | null> {
  const all = await client.call<Record<string, { uuid: string; other_config?: Record<string, string> }>>('network.get_all_records');
  for (const [ref, n] of Object.entries(all)) if (n.other_config?.[key] === value) return { ref, uuid: n.uuid };
  return null;
}

/** network.create with an auto-named bridge; `automatic: false` keeps xapi from adding it to new VMs. */
export async function createNetwork(client: XapiClient, spec: NetworkSpec): Promise<NetworkHandle> {
  const ref = await client.call<string>('network.create', {
    name_label: spec.nameLabel,
    name_description: spec.nameDescription,
    MTU: spec.mtu ?? 1500,
    other_config: { automatic: 'false', ...spec.otherConfig },
    tags: spec.tags,
    bridge: '',
  });
  return { ref, uuid: await client.call<string>('network.get_uuid', ref) };
}

/** Destroys a network; one already gone counts as destroyed (NETWORK_CONTAINS_VIF is the caller's to handle). */
export async function destroyNetwork(client: XapiClient, ref: string): Promise<void> {
  try {
    await client.call('network.destroy', ref);
  } catch (e) {
    if (!isXapiError(e, 'HANDLE_INVALID', 'UUID_INVALID')) throw e;
  }
}

/** The VM's VIF at `spec.device`, created (unlocked, so our flows govern) when the VM lacks one; `knownVifs`: the VM's VIFs as just read. */
export async function ensureVif(client: XapiClient, vmRef: string, spec: VifSpec, network: string, knownVifs?: string[]): Promise<string> {
  for (const vif of knownVifs ?? (await client.call<string[]>('VM.get_VIFs', vmRef))) {
    if ((await client.call<string>('VIF.get_device', vif)) === String(spec.device)) return vif;
  }
  return client.call<string>('VIF.create', {
    device: String(spec.device),
    network,
    VM: vmRef,
    MAC: spec.mac,
    MTU: spec.mtu ?? 1500,
    other_config: {},
    qos_algorithm_type: '',
    qos_algorithm_params: {},
    locking_mode: 'unlocked',
    ipv4_allowed: [],
    ipv6_allowed: [],
  });
}

/** Sets one xenstore_data key (remove-then-add, so it is safe to repeat). */
export function setXenstoreKey(client: XapiClient, vmRef: string, key: string, value: string): Promise<void> {
  return setMapKey(client, 'VM', 'xenstore_data', vmRef, key, value);
}

/** A VIF of a VM as the pool has it now; `allowedOperations` is xapi's own verdict on plug/unplug (hot-plug support included). */
export interface VifOfVm {
  ref: string;
  uuid: string;
  device: number;
  mac: string;
  attached: boolean;
  allowedOperations: string[];
}

export async function vifsOfVm(client: XapiClient, vmRef: string): Promise<VifOfVm[]> {
  const out: VifOfVm[] = [];
  for (const ref of await client.call<string[]>('VM.get_VIFs', vmRef)) {
    const r = await client.call<Record<string, unknown>>('VIF.get_record', ref).catch((e: unknown) => {
      if (isXapiError(e, 'HANDLE_INVALID')) return null; // destroyed meanwhile
      throw e;
    });
    if (!r) continue;
    out.push({
      ref,
      uuid: String(r.uuid),
      device: Number(r.device),
      mac: String(r.MAC).toLowerCase(),
      attached: r.currently_attached === true,
      allowedOperations: (r.allowed_operations ?? []) as string[],
    });
  }
  return out.sort((a, b) => a.device - b.device);
}

/** Destroys a VIF (it must be unplugged first on a running VM); one already gone counts as destroyed. */
export async function destroyVif(client: XapiClient, ref: string): Promise<void> {
  try {
    await client.call('VIF.destroy', ref);
  } catch (e) {
    if (!isXapiError(e, 'HANDLE_INVALID')) throw e;
  }
}

/** Removes one xenstore_data key; absent already = done. */
export async function removeXenstoreKey(client: XapiClient, vmRef: string, key: string): Promise<void> {
  await client.call('VM.remove_from_xenstore_data', vmRef, key);
}
