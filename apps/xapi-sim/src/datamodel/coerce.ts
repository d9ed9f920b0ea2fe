// Turns decoded wire params into stored values by datamodel type (XML-RPC sends ints as strings, JSON as numbers).
import { XapiError } from '../rpc/xapi-error.js';
import { normaliseXapiDate } from '../util/xapi-time.js';
import type { Datamodel } from './datamodel.js';
import type { Value, XRecord } from './defaults.js';
import type { XType } from './xapi-type.js';

export function coerce(value: Value, type: XType, dm: Datamodel, name: string): Value {
  const bad = (): never => {
    throw new XapiError('FIELD_TYPE_ERROR', [name]);
  };
  switch (type.kind) {
    case 'string':
      if (typeof value === 'string') return value;
      return typeof value === 'number' || typeof value === 'boolean' ? String(value) : bad();
    case 'ref':
      return typeof value === 'string' ? value : bad();
    case 'int':
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      return typeof value === 'string' && /^[+-]?\d+$/.test(value.trim()) ? Number(value.trim()) : bad();
    case 'float':
      if (typeof value === 'number') return value;
      return typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : bad();
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === '1' || value === 1) return true;
      return value === 'false' || value === '0' || value === 0 ? false : bad();
    case 'datetime':
      return typeof value === 'string' ? (normaliseXapiDate(value) ?? bad()) : bad();
    case 'enum': {
      // xapi matches enum values case-insensitively and stores the canonical spelling.
      const values = dm.enums.get(type.name) ?? [];
      const hit = typeof value === 'string' ? values.find((v) => v.toLowerCase() === value.toLowerCase()) : undefined;
      return hit ?? bad();
    }
    case 'set':
      return Array.isArray(value) ? value.map((v) => coerce(v, type.of, dm, name)) : bad();
    case 'map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad();
      const out: Record<string, Value> = {};
      for (const [k, v] of Object.entries(value)) out[k] = coerce(v, type.value, dm, name);
      return out;
    }
    case 'record':
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? coerceRecord(value, type.cls, dm) : bad();
    default:
      return value;
  }
}

// Only the fields the caller sent; constructors fill the rest from datamodel defaults.
export function coerceRecord(value: Record<string, Value>, cls: string, dm: Datamodel): XRecord {
  const def = dm.cls(cls);
  const out: XRecord = {};
  for (const [k, v] of Object.entries(value)) {
    const field = def?.field.get(k);
    if (field) out[k] = coerce(v, field.type, dm, k);
  }
  return out;
}
