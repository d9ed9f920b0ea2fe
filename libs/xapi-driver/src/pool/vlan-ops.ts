import type { XapiClient } from '../client/xapi-client.js';
import { createNetwork, destroyNetwork, type NetworkHandle, type NetworkSpec } from './network-ops.js';

const NULL_REF = 'OpaqueRef:NULL';

/** Where a network meets the wire on each host: the bridge holding the uplink, and the 802.1Q tag (null: untagged). */
export interface Uplink {
  ref: string;
  uuid: string;
  bridge: string;
  vlanTag: number | null;
}

interface PifRow {
  network: string;
  VLAN: number | string;
  VLAN_master_of: string;
}

/** A network by uuid and its uplink: a VLAN network's is its tagged PIF's network bridge (OVS fake bridges cannot be patched). */
export async function uplinkOf(client: XapiClient, networkUuid: string): Promise<Uplink> {
  const ref = await client.call<string>('network.get_by_uuid', networkUuid);
  const bridge = await client.call<string>('network.get_bridge', ref);
  const [pif] = await client.call<string[]>('network.get_PIFs', ref);
  if (!pif) return { ref, uuid: networkUuid, bridge, vlanTag: null };
  const row = await client.call<PifRow>('PIF.get_record', pif);
  const tag = Number(row.VLAN);
  if (tag < 0 || row.VLAN_master_of === NULL_REF) return { ref, uuid: networkUuid, bridge, vlanTag: null };
  const tagged = await client.call<string>('VLAN.get_tagged_PIF', row.VLAN_master_of);
  const parent = await client.call<string>('PIF.get_network', tagged);
  return { ref, uuid: networkUuid, bridge: await client.call<string>('network.get_bridge', parent), vlanTag: tag };
}

/** A new network with a VLAN on every host's PIF of `pifUuid`'s network (pool.create_VLAN_from_PIF). */
export async function createVlanNetwork(client: XapiClient, pifUuid: string, vlan: number, spec: NetworkSpec): Promise<NetworkHandle> {
  const pif = await client.call<string>('PIF.get_by_uuid', pifUuid);
  const made = await createNetwork(client, spec);
  try {
    await client.call('pool.create_VLAN_from_PIF', pif, made.ref, vlan);
  } catch (err) {
    await destroyNetwork(client, made.ref).catch(() => undefined); // its VLANs were undone by xapi; the network is ours
    throw err;
  }
  return made;
}

/** Destroys the network's VLANs (their untagged PIFs go with them), then the network. */
export async function destroyVlanNetwork(client: XapiClient, ref: string): Promise<void> {
  for (const pif of await client.call<string[]>('network.get_PIFs', ref).catch(() => [] as string[])) {
    const vlan = await client.call<string>('PIF.get_VLAN_master_of', pif);
    if (vlan !== NULL_REF) await client.call('VLAN.destroy', vlan);
  }
  await destroyNetwork(client, ref);
}
