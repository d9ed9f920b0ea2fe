// Local replica of monitored tables: rows by uuid, kept current by `update2` (monitor_cond) or `update` (monitor).
import { columnKind, type OvsdbSchema } from './ovsdb-schema.types.js';
import { asSet, atomKey, decodeRow, decodeValue, type OvsdbAtom, type OvsdbRow, type OvsdbValue } from './ovsdb-value.codec.js';

/** One row change applied to the cache. */
export interface RowChange {
  table: string;
  uuid: string;
  kind: 'insert' | 'modify' | 'delete';
  /** The row before the change (modify, delete). */
  old?: OvsdbRow;
  /** The row after the change (insert, modify). */
  new?: OvsdbRow;
}

type WireUpdates = Record<string, Record<string, Record<string, unknown> | null>>;

/** Rows per table, by uuid. Rows are replaced (never mutated in place) so references handed out stay stable. */
export class OvsdbTableCache {
  private readonly tables = new Map<string, Map<string, OvsdbRow>>();

  constructor(private readonly schema?: OvsdbSchema) {}

  /** Rows of a table by uuid (empty when nothing is cached). */
  table(name: string): ReadonlyMap<string, OvsdbRow> {
    return this.tables.get(name) ?? new Map();
  }

  /** One row, or undefined. */
  get(table: string, uuid: string): OvsdbRow | undefined {
    return this.tables.get(table)?.get(uuid);
  }

  /** Names of tables holding at least one row. */
  tableNames(): string[] {
    return [...this.tables.keys()];
  }

  /** Applies an `update2` payload (also the monitor_cond reply, made of `initial` entries). */
  applyUpdate2(updates: unknown): RowChange[] {
    const changes: RowChange[] = [];
    for (const [table, rows] of Object.entries((updates ?? {}) as WireUpdates)) {
      const t = this.tableFor(table);
      for (const [uuid, upd] of Object.entries(rows)) {
        const old = t.get(uuid);
        if (!upd || 'delete' in upd) {
          if (old) {
            t.delete(uuid);
            changes.push({ table, uuid, kind: 'delete', old });
          }
        } else if ('initial' in upd || 'insert' in upd) {
          const row = decodeRow((upd.initial ?? upd.insert ?? {}) as Record<string, unknown>);
          t.set(uuid, row);
          changes.push({ table, uuid, kind: old ? 'modify' : 'insert', ...(old ? { old } : {}), new: row });
        } else if ('modify' in upd) {
          const row = this.applyDiff(table, old ?? {}, upd.modify as Record<string, unknown>);
          t.set(uuid, row);
          changes.push({ table, uuid, kind: old ? 'modify' : 'insert', ...(old ? { old } : {}), new: row });
        }
      }
    }
    return changes;
  }

  /** Applies a plain `update` payload (also the monitor reply): `new` is the whole monitored row. */
  applyUpdate(updates: unknown): RowChange[] {
    const changes: RowChange[] = [];
    for (const [table, rows] of Object.entries((updates ?? {}) as WireUpdates)) {
      const t = this.tableFor(table);
      for (const [uuid, upd] of Object.entries(rows)) {
        const old = t.get(uuid);
        if (!upd || upd.new === undefined) {
          if (old) {
            t.delete(uuid);
            changes.push({ table, uuid, kind: 'delete', old });
          }
          continue;
        }
        const row = decodeRow(upd.new as Record<string, unknown>);
        t.set(uuid, row);
        changes.push({ table, uuid, kind: old ? 'modify' : 'insert', ...(old ? { old } : {}), new: row });
      }
    }
    return changes;
  }

  private tableFor(name: string): Map<string, OvsdbRow> {
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = new Map<string, OvsdbRow>()));
    return t;
  }

  // update2 `modify`: scalars carry the new value; sets carry the symmetric difference; maps carry
  // added pairs, removed pairs (same value as before) and changed pairs (new value).
  private applyDiff(table: string, old: OvsdbRow, diff: Record<string, unknown>): OvsdbRow {
    const row: OvsdbRow = { ...old };
    for (const [col, wire] of Object.entries(diff)) {
      const kind = columnKind(this.schema, table, col);
      const d = decodeValue(wire);
      if (kind === 'scalar') row[col] = d;
      else if (kind === 'set') row[col] = applySetDiff(asSet(old[col]), asSet(d));
      else row[col] = applyMapDiff(old[col], d);
    }
    return row;
  }
}

function applySetDiff(old: OvsdbAtom[], diff: OvsdbAtom[]): OvsdbAtom[] {
  const out = new Map(old.map((a) => [atomKey(a), a] as const));
  for (const a of diff) {
    const k = atomKey(a);
    if (out.has(k)) out.delete(k);
    else out.set(k, a);
  }
  return [...out.values()];
}

function mapEntries(v: OvsdbValue | undefined): [OvsdbAtom, OvsdbAtom][] {
  if (v === undefined || Array.isArray(v)) return []; // an empty map may decode as an empty set
  if (v instanceof Map) return [...v];
  if (typeof v === 'object' && v.constructor === Object) return Object.entries(v as Record<string, OvsdbAtom>);
  return [];
}

function applyMapDiff(old: OvsdbValue | undefined, diff: OvsdbValue): OvsdbValue {
  const out = new Map(mapEntries(old).map(([k, v]) => [atomKey(k), [k, v] as [OvsdbAtom, OvsdbAtom]]));
  for (const [k, v] of mapEntries(diff)) {
    const key = atomKey(k);
    const prev = out.get(key);
    if (prev && atomKey(prev[1]) === atomKey(v)) out.delete(key);
    else out.set(key, [k, v]);
  }
  const pairs = [...out.values()];
  if (pairs.every(([k]) => typeof k === 'string')) {
    return Object.fromEntries(pairs) as Record<string, OvsdbAtom>;
  }
  return new Map(pairs);
}
