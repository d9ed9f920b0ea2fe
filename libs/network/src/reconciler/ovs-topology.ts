// Makes a host's OVSDB match what we own: integration bridge settings and one VXLAN port per other host.
import type { OvsdbClient } from '../ovsdb/ovsdb.client.js';
import type { MonitorSpec } from '../ovsdb/ovsdb-monitor.handle.js';
import { byUuid, op, waitNoRows, waitRowUnchanged } from '../ovsdb/ovsdb-operation.builder.js';
import type { OvsdbOperation } from '../ovsdb/ovsdb-operation.types.js';
import type { OvsdbTableCache } from '../ovsdb/ovsdb-table.cache.js';
import { asOptional, asSet, asStringMap, atomText, NamedUuid, Uuid, type OvsdbRow } from '../ovsdb/ovsdb-value.codec.js';
import { VIF_INTERFACE_COLUMNS, VSWITCH_DB } from '../ovsdb/vswitch.queries.js';

/** external_ids marking rows we created; nothing without it is ever changed or removed by us. */
export const OWNER_ID = 'xenplane-owner';
const HOST_ID = 'xenplane-host';
const REQUIRED_PROTOCOLS = ['OpenFlow13', 'OpenFlow15'];

/** Tables and columns the host reconciler watches. */
export function topologyMonitorSpec(): MonitorSpec {
  return {
    Interface: { columns: [...VIF_INTERFACE_COLUMNS, 'type', 'options'] },
    Port: { columns: ['name', 'interfaces'] },
    Bridge: { columns: ['name', 'ports', 'fail_mode', 'protocols', 'datapath_type', 'external_ids', 'other_config'] },
    // Which flow actions the host supports (security groups: ovs-features.ts).
    Open_vSwitch: { columns: ['ovs_version'] },
  };
}

/** A tunnel we want towards another host. */
export interface TunnelSpec {
  hostId: string;
  hostKey: number;
  remoteIp: string;
}

/** What an ensure pass changed. */
export interface TopologyChanges {
  bridgeFixed: boolean;
  tunnelsAdded: number;
  tunnelsRemoved: number;
  tunnelsUpdated: number;
}

const uuidOf = (v: unknown) => (v instanceof Uuid ? v.uuid : String(v));

function findBridge(cache: OvsdbTableCache, name: string): [string, OvsdbRow] | undefined {
  for (const [uuid, row] of cache.table('Bridge')) if (row.name === name) return [uuid, row];
  return undefined;
}

/** Our tunnel interfaces by the host they point at, with their ofport (undefined until vswitchd assigns one). */
export function ownTunnels(cache: OvsdbTableCache): Map<string, { uuid: string; name: string; remoteIp?: string; ofport?: number }> {
  const out = new Map<string, { uuid: string; name: string; remoteIp?: string; ofport?: number }>();
  for (const [uuid, row] of cache.table('Interface')) {
    const ids = asStringMap(row.external_ids);
    if (ids[OWNER_ID] !== 'dataplane' || !ids[HOST_ID]) continue;
    const ofport = asOptional(row.ofport);
    out.set(ids[HOST_ID], {
      uuid,
      name: atomText(row.name),
      remoteIp: asStringMap(row.options).remote_ip,
      ofport: typeof ofport === 'number' && ofport > 0 ? ofport : undefined,
    });
  }
  return out;
}

/** The Port row holding an interface (ports are what a Bridge references). */
function portOf(cache: OvsdbTableCache, ifaceUuid: string): string | undefined {
  for (const [uuid, row] of cache.table('Port')) if (asSet(row.interfaces).some((i) => uuidOf(i) === ifaceUuid)) return uuid;
  return undefined;
}

/**
 * One idempotent transaction (guarded with `wait`) that sets the bridge's fail_mode/protocols and adds, re-points
 * or removes our tunnel ports. A concurrent change makes it fail; the next pass recomputes from the fresh cache.
 * @returns undefined when the bridge does not exist (xapi/networkd has not created it yet).
 */
export async function ensureTopology(
  client: OvsdbClient,
  cache: OvsdbTableCache,
  bridge: string,
  tunnels: TunnelSpec[],
): Promise<TopologyChanges | undefined> {
  const found = findBridge(cache, bridge);
  if (!found) return undefined;
  const [bridgeUuid, row] = found;
  const ops: OvsdbOperation[] = [];
  const changes: TopologyChanges = { bridgeFixed: false, tunnelsAdded: 0, tunnelsRemoved: 0, tunnelsUpdated: 0 };
  const protocols = asSet(row.protocols).map(String);
  if (asOptional(row.fail_mode) !== 'secure' || !REQUIRED_PROTOCOLS.every((p) => protocols.includes(p))) {
    // Standalone would forward between tenants with NORMAL the moment our flows are gone: never leave it so.
    ops.push(op.update('Bridge', byUuid(bridgeUuid), { fail_mode: 'secure', protocols: [...new Set([...protocols, ...REQUIRED_PROTOCOLS])].sort() }));
    changes.bridgeFixed = true;
  }
  const have = ownTunnels(cache);
  const wanted = new Map(tunnels.map((t) => [t.hostId, t]));
  const portDeletes: Uuid[] = [];
  for (const [hostId, t] of have) {
    const want = wanted.get(hostId);
    if (!want) {
      const port = portOf(cache, t.uuid);
      if (port) portDeletes.push(new Uuid(port));
      changes.tunnelsRemoved++;
    } else if (want.remoteIp !== t.remoteIp) {
      const seen = cache.get('Interface', t.uuid)!;
      ops.push(
        waitRowUnchanged('Interface', t.uuid, seen, ['options']),
        op.update('Interface', byUuid(t.uuid), { options: { remote_ip: want.remoteIp, key: 'flow' } }),
      );
      changes.tunnelsUpdated++;
    }
  }
  if (portDeletes.length) ops.push(op.mutate('Bridge', byUuid(bridgeUuid), [['ports', 'delete', portDeletes]]));
  const newPorts: NamedUuid[] = [];
  for (const t of tunnels) {
    if (have.has(t.hostId)) continue;
    const name = `xpvx${t.hostKey}`;
    const i = `i${t.hostKey}`;
    const p = `p${t.hostKey}`;
    ops.push(
      waitNoRows('Interface', [['name', '==', name]]),
      op.insert(
        'Interface',
        { name, type: 'vxlan', options: { remote_ip: t.remoteIp, key: 'flow' }, external_ids: { [OWNER_ID]: 'dataplane', [HOST_ID]: t.hostId } },
        i,
      ),
      op.insert('Port', { name, interfaces: new NamedUuid(i), external_ids: { [OWNER_ID]: 'dataplane' } }, p),
    );
    newPorts.push(new NamedUuid(p));
    changes.tunnelsAdded++;
  }
  if (newPorts.length) ops.push(op.mutate('Bridge', byUuid(bridgeUuid), [['ports', 'insert', newPorts]]));
  if (ops.length) await client.transact(VSWITCH_DB, ops);
  return changes;
}

/** The host's `Open_vSwitch.ovs_version` (set by ovs-ctl at start); undefined when the row or column is empty. */
export function ovsVersionFromCache(cache: OvsdbTableCache): string | undefined {
  for (const row of cache.table('Open_vSwitch').values()) {
    const v = asOptional(row.ovs_version);
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}
