// Default field values: the datamodel's own default when it has one, else the zero value of the type.
import { NULL_REF } from '../util/ids.js';
import { EPOCH } from '../util/xapi-time.js';
import type { ClassDef, Datamodel, FieldDef } from './datamodel.js';
import type { XType } from './xapi-type.js';

export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };
export type XRecord = Record<string, Value>;

export function zeroValue(type: XType, dm: Datamodel): Value {
  switch (type.kind) {
    case 'int':
    case 'float':
      return 0;
    case 'bool':
      return false;
    case 'datetime':
      return EPOCH;
    case 'ref':
      return NULL_REF;
    case 'set':
      return [];
    case 'map':
    case 'record':
      return {};
    case 'enum':
      return dm.enums.get(type.name)?.[0] ?? '';
    default:
      return '';
  }
}

export function defaultValue(field: FieldDef, dm: Datamodel): Value {
  const text = field.default;
  if (text === undefined) return zeroValue(field.type, dm);
  const t = field.type;
  switch (t.kind) {
    case 'string':
      return text.startsWith('"') ? text.slice(1, -1) : text;
    case 'int':
    case 'float':
      return Number.isFinite(Number(text)) ? Number(text) : 0;
    case 'bool':
      return text === 'true';
    case 'ref':
      return text === 'Null' ? NULL_REF : text;
    case 'set':
      return parseSetDefault(text, t.of.kind === 'int');
    case 'map':
      return parseMapDefault(text);
    case 'datetime':
    case 'enum':
      return text;
    default:
      return zeroValue(t, dm);
  }
}

function parseSetDefault(text: string, ints: boolean): Value[] {
  const inner = text.replace(/^\{|\}$/g, '').trim();
  if (!inner || inner.startsWith('OpaqueRef:')) return [];
  return inner.split(',').map((s) => (ints ? Number(s.trim()) : s.trim().replace(/^"|"$/g, '')));
}

function parseMapDefault(text: string): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const m of text.matchAll(/"([^"]*)"\s*->\s*"([^"]*)"/g)) out[m[1]] = m[2]!;
  return out;
}

// Defaults are parsed once per class; sets and maps in them are flat, so a shallow copy makes them private.
const classDefaults = new WeakMap<ClassDef, Array<[string, Value]>>();
const fresh = (v: Value): Value => (Array.isArray(v) ? [...v] : typeof v === 'object' && v !== null ? { ...v } : v);

export function makeRecord(dm: Datamodel, cls: string, values: XRecord): XRecord {
  const def = dm.cls(cls);
  if (!def) throw new Error(`unknown class ${cls}`);
  let defaults = classDefaults.get(def);
  if (!defaults) classDefaults.set(def, (defaults = def.fields.map((f): [string, Value] => [f.name, defaultValue(f, dm)])));
  const record: XRecord = {};
  for (const [name, d] of defaults) record[name] = name in values ? values[name]! : fresh(d);
  return record;
}

/** The text of a scalar field (a ref, a uuid, a name, a number); a map or set there is a bug, not a string. */
export function scalar(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  throw new TypeError(`expected a scalar field, got ${JSON.stringify(v)?.slice(0, 80) ?? typeof v}`);
}
