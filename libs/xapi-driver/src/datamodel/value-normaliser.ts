import { CLASS_NAMES, FIELD_TYPES, PARAM_TYPES, RESULT_TYPES } from './datamodel-types.gen.js';
import { parseXapiType, type XapiType } from './xapi-type.parser.js';

/** Marks a number that must travel as a float (`<double>1.0</double>`, JSON `1.0`) even when it is integral. */
export class XapiFloat {
  constructor(readonly value: number) {}
}

/** Wraps a number so both transports send it as a float. */
export const xapiFloat = (value: number): XapiFloat => new XapiFloat(value);

const classByLower = new Map(CLASS_NAMES.map((c) => [c.toLowerCase(), c]));

/** Canonical datamodel class name for any casing (`vm` -> `VM`), or the input when unknown. */
export function canonicalClass(name: string): string {
  return classByLower.get(name.toLowerCase()) ?? name;
}

function splitMethod(method: string): [string, string] {
  const m = method.startsWith('Async.') ? method.slice(6) : method;
  const dot = m.indexOf('.');
  return [canonicalClass(m.slice(0, dot)), m.slice(dot + 1)];
}

/** The datamodel result type of a synchronous method, when its values need normalising. */
export function resultTypeOf(method: string): string | undefined {
  // an Async.* call answers with a task ref whatever the method returns
  if (method.startsWith('Async.')) return undefined;
  const [cls, msg] = splitMethod(method);
  const explicit = RESULT_TYPES[`${cls}.${msg}`];
  if (explicit) return explicit;
  if (msg === 'get_record') return `${cls} record`;
  if (msg === 'get_all_records' || msg === 'get_all_records_where') return `(${cls} ref -> ${cls} record) map`;
  if (msg.startsWith('get_')) return FIELD_TYPES[cls]?.[msg.slice(4)];
  return undefined;
}

/** Normalises a decoded result of `method` (either transport) to JS types: ints/floats as numbers, datetimes as Dates. */
export function normaliseResult(method: string, value: unknown): unknown {
  const type = resultTypeOf(method);
  return type ? normaliseValue(value, parseXapiType(type)) : value;
}

/** Normalises one value against a parsed datamodel type; values that do not fit are returned unchanged. */
export function normaliseValue(value: unknown, type: XapiType): unknown {
  switch (type.kind) {
    case 'int':
      return typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
    case 'float':
      return typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;
    case 'bool':
      return value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
    case 'datetime':
      return typeof value === 'string' ? (parseXapiDateTime(value) ?? value) : value;
    case 'set':
      return Array.isArray(value) ? value.map((v) => normaliseValue(v, type.of)) : value;
    case 'map':
      return isObject(value) ? mapValues(value, (v) => normaliseValue(v, type.value)) : value;
    case 'record':
      return isObject(value) ? normaliseRecord(type.cls, value) : value;
    case 'event batch':
      return isObject(value) ? normaliseEventBatch(value) : value;
    default:
      return value;
  }
}

/** Normalises the fields of a record of class `cls` (any casing) in place and returns it. */
export function normaliseRecord(cls: string, record: Record<string, unknown>): Record<string, unknown> {
  const canonical = canonicalClass(cls);
  const fields = FIELD_TYPES[canonical];
  if (canonical === 'event') return normaliseEvent(record);
  if (!fields) return record;
  for (const [name, t] of Object.entries(fields)) {
    if (name in record) record[name] = normaliseValue(record[name], parseXapiType(t));
  }
  return record;
}

function normaliseEvent(ev: Record<string, unknown>): Record<string, unknown> {
  if (ev.id !== undefined) ev.id = normaliseValue(ev.id, { kind: 'int' });
  if (ev.timestamp !== undefined) ev.timestamp = normaliseValue(ev.timestamp, { kind: 'datetime' });
  if (isObject(ev.snapshot) && typeof ev.class === 'string') normaliseRecord(ev.class, ev.snapshot);
  return ev;
}

function normaliseEventBatch(batch: Record<string, unknown>): Record<string, unknown> {
  if (Array.isArray(batch.events)) batch.events = (batch.events as unknown[]).map((e) => (isObject(e) ? normaliseEvent(e) : e));
  if (isObject(batch.valid_ref_counts)) batch.valid_ref_counts = mapValues(batch.valid_ref_counts, (v) => normaliseValue(v, { kind: 'int' }));
  return batch;
}

/** Wraps float-typed params (per the datamodel) in XapiFloat so integral floats keep their decimal point. */
export function prepareParams(method: string, params: readonly unknown[]): unknown[] {
  const [cls, msg] = splitMethod(method);
  const types = PARAM_TYPES[`${cls}.${msg}`];
  if (!types) return [...params];
  return params.map((p, i) => (types[i] ? markFloats(p, parseXapiType(types[i])) : p));
}

function markFloats(value: unknown, type: XapiType): unknown {
  if (type.kind === 'float' && typeof value === 'number') return new XapiFloat(value);
  if (type.kind === 'record' && isObject(value)) {
    const fields = FIELD_TYPES[canonicalClass(type.cls)] ?? {};
    return mapValues(value, (v, k) => (fields[k] ? markFloats(v, parseXapiType(fields[k])) : v));
  }
  return value;
}

/** Parses XAPI datetimes (`20230729T13:20:01Z`, dashed ISO, or epoch seconds like `0.0`); undefined if unparseable. */
export function parseXapiDateTime(text: string): Date | undefined {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (m) {
    const zone = !m[8] || m[8] === 'Z' ? 'Z' : `${m[8].slice(0, 3)}:${m[8].slice(-2)}`;
    const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}${zone}`);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  if (/^\d+(\.\d+)?$/.test(text.trim())) return new Date(Number(text) * 1000);
  return undefined;
}

/** Formats a Date the way XAPI does (`20230729T13:20:01Z`). */
export function formatXapiDateTime(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/-/g, '');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function mapValues(o: Record<string, unknown>, f: (v: unknown, k: string) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = f(v, k);
  return out;
}
