// Converts between OVSDB's tagged JSON values (RFC 7047 §5.1) and plain JS values.

/** A reference to an existing row: `["uuid", "..."]` on the wire. */
export class Uuid {
  constructor(readonly uuid: string) {}
  toString(): string {
    return this.uuid;
  }
}

/** A reference to a row inserted earlier in the same transaction: `["named-uuid", "..."]`. */
export class NamedUuid {
  constructor(readonly name: string) {}
}

/** One OVSDB atom in JS form. */
export type OvsdbAtom = string | number | boolean | Uuid | NamedUuid;
/** A map column: a Record when every key is a string, else a Map. */
export type OvsdbMap = Record<string, OvsdbAtom> | Map<OvsdbAtom, OvsdbAtom>;
/** Any column value in JS form: atom, set (array) or map. */
export type OvsdbValue = OvsdbAtom | OvsdbAtom[] | OvsdbMap;
/** A row in JS form, keyed by column name. */
export type OvsdbRow = Record<string, OvsdbValue>;

/** The JSON form of a value as it travels on the wire. */
export type OvsdbWireValue = string | number | boolean | [string, unknown];

function isTagged(v: unknown, tag: string): v is [string, unknown] {
  return Array.isArray(v) && v.length === 2 && v[0] === tag;
}

/** Decodes one wire atom; throws on anything that is not an atom. */
export function decodeAtom(v: unknown): OvsdbAtom {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (isTagged(v, 'uuid') && typeof v[1] === 'string') return new Uuid(v[1]);
  if (isTagged(v, 'named-uuid') && typeof v[1] === 'string') return new NamedUuid(v[1]);
  throw new TypeError(`not an OVSDB atom: ${JSON.stringify(v)}`);
}

/** Decodes a wire value: sets become arrays, maps become Records (or Maps for non-string keys). */
export function decodeValue(v: unknown): OvsdbValue {
  if (isTagged(v, 'set')) {
    if (!Array.isArray(v[1])) throw new TypeError(`malformed set: ${JSON.stringify(v)}`);
    return v[1].map(decodeAtom);
  }
  if (isTagged(v, 'map')) {
    if (!Array.isArray(v[1])) throw new TypeError(`malformed map: ${JSON.stringify(v)}`);
    const pairs = (v[1] as unknown[]).map((p) => {
      if (!Array.isArray(p) || p.length !== 2) throw new TypeError(`malformed map pair: ${JSON.stringify(p)}`);
      return [decodeAtom(p[0]), decodeAtom(p[1])] as const;
    });
    if (pairs.every(([k]) => typeof k === 'string')) {
      const rec: Record<string, OvsdbAtom> = {};
      for (const [k, val] of pairs) rec[k as string] = val;
      return rec;
    }
    return new Map(pairs);
  }
  return decodeAtom(v);
}

/** Encodes one atom for the wire. */
export function encodeAtom(a: OvsdbAtom): OvsdbWireValue {
  if (a instanceof Uuid) return ['uuid', a.uuid];
  if (a instanceof NamedUuid) return ['named-uuid', a.name];
  if (typeof a === 'string' || typeof a === 'number' || typeof a === 'boolean') return a;
  throw new TypeError(`not an OVSDB atom: ${String(a)}`);
}

/** Encodes a JS value: arrays become sets, Records and Maps become maps. */
export function encodeValue(v: OvsdbValue): OvsdbWireValue {
  if (Array.isArray(v)) return ['set', v.map(encodeAtom)];
  if (v instanceof Map) return ['map', [...v].map(([k, val]) => [encodeAtom(k), encodeAtom(val)])];
  if (v !== null && typeof v === 'object' && !(v instanceof Uuid) && !(v instanceof NamedUuid)) {
    return ['map', Object.entries(v).map(([k, val]) => [k, encodeAtom(val)])];
  }
  return encodeAtom(v);
}

/** Decodes a wire row; `_uuid`/`_version` stay as Uuid atoms. */
export function decodeRow(row: Record<string, unknown>): OvsdbRow {
  const out: OvsdbRow = {};
  for (const [col, v] of Object.entries(row)) out[col] = decodeValue(v);
  return out;
}

/** Encodes a JS row for insert/update. */
export function encodeRow(row: OvsdbRow): Record<string, OvsdbWireValue> {
  const out: Record<string, OvsdbWireValue> = {};
  for (const [col, v] of Object.entries(row)) out[col] = encodeValue(v);
  return out;
}

/** Reads a set column as an array (a one-element set may arrive as a bare atom). */
export function asSet(v: OvsdbValue | undefined): OvsdbAtom[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v;
  if (v instanceof Map || (typeof v === 'object' && !(v instanceof Uuid) && !(v instanceof NamedUuid))) {
    throw new TypeError('expected a set, got a map');
  }
  return [v];
}

/** Reads an optional column (set of 0 or 1): the atom, or undefined when empty. */
export function asOptional(v: OvsdbValue | undefined): OvsdbAtom | undefined {
  const s = asSet(v);
  return s[0];
}

/** The text of an atom (uuids by their uuid); a set or map, where an atom belongs, is shown as JSON rather than lost. */
export function atomText(v: OvsdbValue | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Uuid) return v.uuid;
  if (v instanceof NamedUuid) return v.name;
  return JSON.stringify(v instanceof Map ? [...v] : v);
}

/** Reads a string-keyed map column as a Record (an empty set `[]` counts as empty). */
export function asStringMap(v: OvsdbValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === undefined || Array.isArray(v)) return out;
  const entries: [OvsdbAtom, OvsdbAtom][] = v instanceof Map ? [...v] : typeof v === 'object' ? Object.entries(v as Record<string, OvsdbAtom>) : [];
  for (const [k, val] of entries) out[atomText(k)] = atomText(val);
  return out;
}

/** Stable identity of an atom, for set/map diffs (uuids compare by value). */
export function atomKey(a: OvsdbAtom): string {
  if (a instanceof Uuid) return `u:${a.uuid}`;
  if (a instanceof NamedUuid) return `n:${a.name}`;
  return `${typeof a}:${String(a)}`;
}
