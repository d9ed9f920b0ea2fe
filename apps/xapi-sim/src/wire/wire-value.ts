// Values on the wire: a small tree both transports render (ints differ: XML string vs JSON number); typed leaves render lazily.
import type { Datamodel } from '../datamodel/datamodel.js';
import type { Value } from '../datamodel/defaults.js';
import type { XType } from '../datamodel/xapi-type.js';
import { escapeXml, formatDouble } from './render-cache.js';
import { typedJson } from './typed-json.js';
import { typedXml } from './typed-xml.js';

export { escapeXml };

export type Wire =
  | { t: 'str'; v: string }
  | { t: 'int'; v: number }
  | { t: 'i4'; v: number }
  | { t: 'double'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'date'; v: string }
  | { t: 'arr'; v: Wire[] }
  | { t: 'struct'; v: Array<[string, Wire]> }
  | { t: 'typed'; v: Value | undefined; type: XType; dm: Datamodel };

export const str = (v: string): Wire => ({ t: 'str', v });

// A stored value with its datamodel type, rendered lazily and directly by each transport (typed-json/typed-xml).
export function encodeTyped(value: Value | undefined, type: XType, dm: Datamodel): Wire {
  return { t: 'typed', v: value, type, dm };
}

export function encodeRecord(record: Record<string, Value>, cls: string, dm: Datamodel): Wire {
  return encodeTyped(record, { kind: 'record', cls }, dm);
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
    case 'typed':
      return JSON.parse(wireToJsonText(w));
    default:
      return w.v;
  }
}

// JSON text of a wire value; typed parts are rendered (and cached per record) without intermediate objects.
export function wireToJsonText(w: Wire): string {
  const out: string[] = [];
  jsonParts(w, out);
  return out.join('');
}

function jsonParts(w: Wire, out: string[]): void {
  switch (w.t) {
    case 'arr':
      out.push('[');
      w.v.forEach((x, i) => (i > 0 && out.push(','), jsonParts(x, out)));
      out.push(']');
      return;
    case 'struct':
      out.push('{');
      w.v.forEach(([k, x], i) => (out.push(i > 0 ? ',' : '', JSON.stringify(k), ':'), jsonParts(x, out)));
      out.push('}');
      return;
    case 'typed':
      return typedJson(w.v, w.type, w.dm, out);
    default:
      out.push(JSON.stringify(w.v) ?? 'null');
  }
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
    case 'typed': {
      const out: string[] = [];
      typedXml(w.v, w.type, w.dm, out);
      return out.join('');
    }
  }
}
