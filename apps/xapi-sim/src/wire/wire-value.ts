// Typed values on the wire: one tree that both transports render (ints differ: XML string vs JSON number).
import type { Datamodel } from '../datamodel/datamodel.js';
import type { Value } from '../datamodel/defaults.js';
import type { XType } from '../datamodel/xapi-type.js';

export type Wire =
  | { t: 'str'; v: string }
  | { t: 'int'; v: number }
  | { t: 'i4'; v: number }
  | { t: 'double'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'date'; v: string }
  | { t: 'arr'; v: Wire[] }
  | { t: 'struct'; v: Array<[string, Wire]> };

export const str = (v: string): Wire => ({ t: 'str', v });

// Encodes a stored value by its datamodel type, so ints/floats/datetimes get their XAPI wire form.
export function encodeTyped(value: Value | undefined, type: XType, dm: Datamodel): Wire {
  switch (type.kind) {
    case 'string':
    case 'ref':
    case 'enum':
      return str(value === null || value === undefined ? '' : String(value));
    case 'void':
      return str('');
    case 'int':
      return { t: 'int', v: Math.trunc(Number(value ?? 0)) };
    case 'float':
      return { t: 'double', v: Number(value ?? 0) };
    case 'bool':
      return { t: 'bool', v: value === true };
    case 'datetime':
      return { t: 'date', v: String(value ?? '') };
    case 'set':
      return { t: 'arr', v: (Array.isArray(value) ? value : []).map((x) => encodeTyped(x, type.of, dm)) };
    case 'map': {
      const obj = isObject(value) ? value : {};
      return { t: 'struct', v: Object.entries(obj).map(([k, x]) => [k, encodeTyped(x, type.value, dm)]) };
    }
    case 'record':
      return encodeRecord(isObject(value) ? value : {}, type.cls, dm);
    case 'option':
      return value === null || value === undefined ? str('') : encodeTyped(value, type.of, dm);
    default:
      return encodeUntyped(value);
  }
}

export function encodeRecord(record: Record<string, Value>, cls: string, dm: Datamodel): Wire {
  const def = dm.cls(cls);
  if (!def) return encodeUntyped(record);
  return { t: 'struct', v: def.fields.map((f) => [f.name, encodeTyped(record[f.name], f.type, dm)]) };
}

// For values with no datamodel type (event batches, control replies): guess from the JS type.
export function encodeUntyped(value: Value | undefined): Wire {
  if (typeof value === 'number') return Number.isInteger(value) ? { t: 'int', v: value } : { t: 'double', v: value };
  if (typeof value === 'boolean') return { t: 'bool', v: value };
  if (Array.isArray(value)) return { t: 'arr', v: value.map(encodeUntyped) };
  if (isObject(value)) return { t: 'struct', v: Object.entries(value).map(([k, x]) => [k, encodeUntyped(x)]) };
  return str(value === null || value === undefined ? '' : String(value));
}

function isObject(v: unknown): v is Record<string, Value> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function wireToJson(w: Wire): unknown {
  switch (w.t) {
    case 'arr':
      return w.v.map(wireToJson);
    case 'struct':
      return Object.fromEntries(w.v.map(([k, x]) => [k, wireToJson(x)]));
    default:
      return w.v;
  }
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// XAPI style: strings and 64-bit ints are untyped <value>text</value>; int32 only for valid_ref_counts.
export function wireToXml(w: Wire): string {
  switch (w.t) {
    case 'str':
      return `<value>${escapeXml(w.v)}</value>`;
    case 'int':
      return `<value>${w.v}</value>`;
    case 'i4':
      return `<value><i4>${w.v}</i4></value>`;
    case 'double':
      return `<value><double>${formatDouble(w.v)}</double></value>`;
    case 'bool':
      return `<value><boolean>${w.v ? 1 : 0}</boolean></value>`;
    case 'date':
      return `<value><dateTime.iso8601>${escapeXml(w.v)}</dateTime.iso8601></value>`;
    case 'arr':
      return `<value><array><data>${w.v.map(wireToXml).join('')}</data></array></value>`;
    case 'struct':
      return `<value><struct>${w.v.map(([k, x]) => `<member><name>${escapeXml(k)}</name>${wireToXml(x)}</member>`).join('')}</struct></value>`;
  }
}

// Floats always carry a decimal point; some clients mis-type "1" as an int.
function formatDouble(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}
