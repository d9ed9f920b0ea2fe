// Renders a stored value as JSON text by datamodel type, straight into string parts (no intermediate objects).
import type { Datamodel } from '../datamodel/datamodel.js';
import type { Value } from '../datamodel/defaults.js';
import type { XType } from '../datamodel/xapi-type.js';
import { isObject, renderCache, text } from './render-cache.js';

const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null'); // JSON has no inf/nan

export function typedJson(value: Value | undefined, type: XType, dm: Datamodel, out: string[]): void {
  switch (type.kind) {
    case 'string':
    case 'ref':
    case 'enum':
    case 'datetime':
      out.push(JSON.stringify(text(value)));
      return;
    case 'void':
      out.push('""');
      return;
    case 'int':
      out.push(num(Math.trunc(Number(value ?? 0))));
      return;
    case 'float':
      out.push(num(Number(value ?? 0)));
      return;
    case 'bool':
      out.push(value === true ? 'true' : 'false');
      return;
    case 'set': {
      out.push('[');
      if (Array.isArray(value)) value.forEach((x, i) => (i > 0 && out.push(','), typedJson(x, type.of, dm, out)));
      out.push(']');
      return;
    }
    case 'map': {
      out.push('{');
      let first = true;
      if (isObject(value))
        for (const k in value) {
          if (first) first = false;
          else out.push(',');
          out.push(JSON.stringify(k), ':');
          typedJson(value[k], type.value, dm, out);
        }
      out.push('}');
      return;
    }
    case 'record': {
      const def = dm.cls(type.cls);
      if (!def) return untypedJson(value, out);
      const record = isObject(value) ? value : {}; // a missing record still shows every field, zero-valued
      let cached = renderCache.json.get(record);
      if (cached === undefined) {
        const parts: string[] = [];
        def.fields.forEach((f, i) => (parts.push(i > 0 ? ',' : '{', JSON.stringify(f.name), ':'), typedJson(record[f.name], f.type, dm, parts)));
        parts.push(def.fields.length ? '}' : '{}');
        renderCache.json.set(record, (cached = parts.join('')));
      }
      out.push(cached);
      return;
    }
    case 'option':
      if (value === null || value === undefined) out.push('""');
      else typedJson(value, type.of, dm, out);
      return;
    default:
      untypedJson(value, out);
  }
}

// Values with no datamodel type: as they are, null as "" (XAPI has no null).
export function untypedJson(value: Value | undefined, out: string[]): void {
  if (typeof value === 'number') out.push(num(value));
  else if (typeof value === 'boolean') out.push(String(value));
  else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((x, i) => (i > 0 && out.push(','), untypedJson(x, out)));
    out.push(']');
  } else if (isObject(value)) {
    out.push('{');
    Object.keys(value).forEach((k, i) => (out.push(i > 0 ? ',' : '', JSON.stringify(k), ':'), untypedJson(value[k], out)));
    out.push('}');
  } else out.push(JSON.stringify(text(value)));
}
