// Typed reads of the Open_vSwitch database that libs/network needs: xapi-plugged VIFs and bridges.
import type { OvsdbClient } from './ovsdb.client.js';
import type { MonitorSpec } from './ovsdb-monitor.handle.js';
import { op } from './ovsdb-operation.builder.js';
import type { OvsdbTableCache } from './ovsdb-table.cache.js';
import { asOptional, asSet, asStringMap, atomText, Uuid, type OvsdbRow } from './ovsdb-value.codec.js';

/** The database name served by ovsdb-server for Open vSwitch. */
export const VSWITCH_DB = 'Open_vSwitch';

/** An Interface plugged by xapi (it carries `external_ids:xs-vif-uuid`). */
export interface VifInterface {
  uuid: string;
  name: string;
  /** undefined until vswitchd assigns it, or when it failed (-1). */
  ofport: number | undefined;
  vifUuid: string;
  attachedMac: string | undefined;
  vmUuid: string | undefined;
  networkUuid: string | undefined;
  externalIds: Record<string, string>;
}

/** A Bridge row in typed form. */
export interface BridgeInfo {
  uuid: string;
  name: string;
  portUuids: string[];
  failMode: string | undefined;
  datapathType: string;
  externalIds: Record<string, string>;
  otherConfig: Record<string, string>;
}

/** Interface columns a VIF view needs. */
export const VIF_INTERFACE_COLUMNS = ['name', 'ofport', 'external_ids'];
const BRIDGE_COLUMNS = ['name', 'ports', 'fail_mode', 'datapath_type', 'external_ids', 'other_config'];

/** Monitor spec for the VIF view and bridges (key presence cannot be a server-side condition). */
export function vifMonitorSpec(): MonitorSpec {
  return { Interface: { columns: VIF_INTERFACE_COLUMNS }, Bridge: { columns: BRIDGE_COLUMNS } };
}

/** Maps an Interface row to a VifInterface, or undefined when it is not xapi's. */
export function toVifInterface(uuid: string, row: OvsdbRow): VifInterface | undefined {
  const ids = asStringMap(row.external_ids);
  const vifUuid = ids['xs-vif-uuid'];
  if (!vifUuid) return undefined;
  const ofport = asOptional(row.ofport);
  return {
    uuid,
    name: atomText(row.name),
    ofport: typeof ofport === 'number' && ofport >= 0 ? ofport : undefined,
    vifUuid,
    attachedMac: ids['attached-mac'],
    vmUuid: ids['xs-vm-uuid'],
    networkUuid: ids['xs-network-uuid'],
    externalIds: ids,
  };
}

/** Maps a Bridge row to BridgeInfo. */
export function toBridgeInfo(uuid: string, row: OvsdbRow): BridgeInfo {
  const failMode = asOptional(row.fail_mode);
  return {
    uuid,
    name: atomText(row.name),
    portUuids: asSet(row.ports).map((p) => atomText(p)),
    failMode: failMode === undefined ? undefined : atomText(failMode),
    datapathType: atomText(row.datapath_type),
    externalIds: asStringMap(row.external_ids),
    otherConfig: asStringMap(row.other_config),
  };
}

/** VIF interfaces in a monitor cache, sorted by name. */
export function vifInterfacesFromCache(cache: OvsdbTableCache): VifInterface[] {
  const out: VifInterface[] = [];
  for (const [uuid, row] of cache.table('Interface')) {
    const v = toVifInterface(uuid, row);
    if (v) out.push(v);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** A bridge by name from a monitor cache. */
export function bridgeFromCache(cache: OvsdbTableCache, name: string): BridgeInfo | undefined {
  for (const [uuid, row] of cache.table('Bridge')) if (row.name === name) return toBridgeInfo(uuid, row);
  return undefined;
}

/** One-shot read of every xapi VIF interface, sorted by name. */
export async function findVifInterfaces(client: OvsdbClient): Promise<VifInterface[]> {
  const [res] = await client.transact(VSWITCH_DB, [op.select('Interface', [], ['_uuid', ...VIF_INTERFACE_COLUMNS])]);
  return res.rows
    .map((r) => toVifInterface((r._uuid as Uuid).uuid, r))
    .filter((v): v is VifInterface => v !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** One-shot read of a bridge by name. */
export async function findBridgeByName(client: OvsdbClient, name: string): Promise<BridgeInfo | undefined> {
  const [res] = await client.transact(VSWITCH_DB, [op.select('Bridge', [['name', '==', name]], ['_uuid', ...BRIDGE_COLUMNS])]);
  const row = res.rows[0];
  return row ? toBridgeInfo((row._uuid as Uuid).uuid, row) : undefined;
}
