// Issue 16: joins the integration bridge to each provider network's uplink bridge with a patch pair we own, through
// our OVSDB client; a pair no provider network needs any more is removed. Rows without our owner tag are never touched.
import { createHash } from 'node:crypto';
import type { OvsdbClient } from '../ovsdb/ovsdb.client.js';
import { byUuid, op, waitNoRows } from '../ovsdb/ovsdb-operation.builder.js';
import type { OvsdbOperation } from '../ovsdb/ovsdb-operation.types.js';
import type { OvsdbTableCache } from '../ovsdb/ovsdb-table.cache.js';
import { asOptional, asSet, asStringMap, atomText, NamedUuid, Uuid } from '../ovsdb/ovsdb-value.codec.js';
import { VSWITCH_DB } from '../ovsdb/vswitch.queries.js';
import { OWNER_ID } from './ovs-topology.js';

const UPLINK_ID = 'xenplane-uplink';
const uuidOf = (v: unknown) => (v instanceof Uuid ? v.uuid : String(v));

/** Interface names fit IFNAMSIZ (15) whatever the bridge is called: a short hash of it. */
export function patchNames(uplink: string): { int: string; ext: string } {
  const h = createHash('sha256').update(uplink).digest('hex').slice(0, 8);
  return { int: `xpl${h}`, ext: `xpr${h}` };
}

function bridgeUuid(cache: OvsdbTableCache, name: string): string | undefined {
  for (const [uuid, row] of cache.table('Bridge')) if (row.name === name) return uuid;
  return undefined;
}

/** Our patch interfaces, by uplink bridge and side, with the ofport vswitchd gave them. */
function ownPatches(cache: OvsdbTableCache): Map<string, { uuid: string; side: 'int' | 'ext'; ofport?: number }[]> {
  const out = new Map<string, { uuid: string; side: 'int' | 'ext'; ofport?: number }[]>();
  for (const [uuid, row] of cache.table('Interface')) {
    const ids = asStringMap(row.external_ids);
    if (ids[OWNER_ID] !== 'dataplane' || !ids[UPLINK_ID]) continue;
    const ofport = asOptional(row.ofport);
    const side = atomText(row.name).startsWith('xpl') ? 'int' : 'ext';
    out.set(ids[UPLINK_ID], [
      ...(out.get(ids[UPLINK_ID]) ?? []),
      { uuid, side, ofport: typeof ofport === 'number' && ofport > 0 ? ofport : undefined },
    ]);
  }
  return out;
}

function portOf(cache: OvsdbTableCache, ifaceUuid: string): string | undefined {
  for (const [uuid, row] of cache.table('Port')) if (asSet(row.interfaces).some((i) => uuidOf(i) === ifaceUuid)) return uuid;
  return undefined;
}

/** Which bridge holds a port (for removing it from the right one). */
function bridgeOfPort(cache: OvsdbTableCache, portUuid: string): string | undefined {
  for (const [uuid, row] of cache.table('Bridge')) if (asSet(row.ports).some((p) => uuidOf(p) === portUuid)) return uuid;
  return undefined;
}

/**
 * Makes our patch pairs exactly one per wanted uplink bridge that exists on this host (one idempotent, wait-guarded
 * transaction). Answers each wanted uplink's ofport on the integration bridge: undefined while vswitchd has not
 * assigned it, or the uplink bridge is missing here (its networks stay without flows, so isolated).
 */
export async function ensurePatchPorts(
  client: OvsdbClient,
  cache: OvsdbTableCache,
  intBridge: string,
  uplinks: string[],
): Promise<Map<string, number | undefined>> {
  const out = new Map<string, number | undefined>();
  const intUuid = bridgeUuid(cache, intBridge);
  if (!intUuid) return out;
  const have = ownPatches(cache);
  const ops: OvsdbOperation[] = [];
  for (const [uplink, ifaces] of have) {
    if (uplinks.includes(uplink)) continue;
    for (const i of ifaces) {
      const port = portOf(cache, i.uuid);
      const bridge = port ? bridgeOfPort(cache, port) : undefined;
      if (port && bridge) ops.push(op.mutate('Bridge', byUuid(bridge), [['ports', 'delete', [new Uuid(port)]]]));
    }
  }
  for (const uplink of [...new Set(uplinks)].sort()) {
    const extUuid = bridgeUuid(cache, uplink);
    if (!extUuid) {
      out.set(uplink, undefined);
      continue;
    }
    const seen = have.get(uplink);
    if (seen?.length === 2) {
      out.set(uplink, seen.find((i) => i.side === 'int')?.ofport);
      continue;
    }
    out.set(uplink, undefined);
    if (seen?.length) continue; // half a pair: vswitchd or another pass is mid-change; the next pass sees it whole
    const names = patchNames(uplink);
    const ids = { [OWNER_ID]: 'dataplane', [UPLINK_ID]: uplink };
    const side = (name: string, peer: string, bridge: string, tag: string) => [
      waitNoRows('Interface', [['name', '==', name]]),
      op.insert('Interface', { name, type: 'patch', options: { peer }, external_ids: ids }, `i${tag}`),
      op.insert('Port', { name, interfaces: new NamedUuid(`i${tag}`), external_ids: { [OWNER_ID]: 'dataplane' } }, `p${tag}`),
      op.mutate('Bridge', byUuid(bridge), [['ports', 'insert', [new NamedUuid(`p${tag}`)]]]),
    ];
    const tag = names.int.slice(3);
    ops.push(...side(names.int, names.ext, intUuid, `int${tag}`), ...side(names.ext, names.int, extUuid, `ext${tag}`));
  }
  if (ops.length) await client.transact(VSWITCH_DB, ops);
  return out;
}
